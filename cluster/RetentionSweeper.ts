// Retention (SPEC §6): on a schedule, each tenant with a retention loses its whole days of events
// older than that, and each pass that removed something writes an audit event in the main tenant.
import { Clock, Duration, Effect, Schedule } from "effect"
import { randomUUID } from "node:crypto"
import { auditEvent } from "../model/AuditEvent.ts"
import type { Tenant } from "../model/Tenant.ts"
import { EventStore, type ExpiredEvents } from "../storage/EventStore.ts"

const DayMillis = 86_400_000

export interface RetentionOptions {
  /** Time between passes; the first pass runs at start. */
  readonly interval: Duration.DurationInput
}

/** The audit record of one tenant's expiry. */
export const expiryAudit = (expired: ExpiredEvents, retentionDays: number, at: number) =>
  auditEvent({
    id: randomUUID(),
    at,
    action: "storage partition deleted on expiry",
    message: `${expired.partitions} storage partition(s) of tenant ${expired.tenantId} expired (retention ${retentionDays} days): events from ${new Date(expired.from).toISOString()} to ${new Date(expired.to).toISOString()} removed`,
    subjectTenantId: expired.tenantId,
    actor: "system",
    details: {
      partitions: String(expired.partitions),
      from: new Date(expired.from).toISOString(),
      to: new Date(expired.to).toISOString(),
      retentionDays: String(retentionDays)
    }
  })

/** One pass over `tenants`: what each expired; a failing tenant is logged and retried next pass. */
export const sweep = (tenants: ReadonlyArray<Tenant>) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const now = yield* Clock.currentTimeMillis
    const results: Array<ExpiredEvents> = []
    for (const tenant of tenants) {
      const retentionDays = tenant.retentionDays
      if (retentionDays === undefined) continue
      const expired = yield* store.expire(tenant.id, now - retentionDays * DayMillis).pipe(
        Effect.tapError((error) => Effect.logWarning(`retention of tenant ${tenant.id} failed; next pass retries`, error)),
        Effect.option
      )
      if (expired._tag === "None" || expired.value.partitions === 0) continue
      // The data is gone now: its audit record must not be lost to a passing storage fault.
      yield* store
        .write([expiryAudit(expired.value, retentionDays, now)])
        .pipe(
          Effect.retry(Schedule.exponential("200 millis").pipe(Schedule.union(Schedule.spaced("10 seconds")), Schedule.upTo("5 minutes"))),
          Effect.tapError((error) => Effect.logError(`audit of tenant ${tenant.id}'s expiry could not be written`, error)),
          Effect.ignore
        )
      results.push(expired.value)
    }
    return results
  })

/** Runs passes in the background of the current scope. */
export const start = (tenants: ReadonlyArray<Tenant>, options: RetentionOptions = { interval: "1 hour" }) =>
  sweep(tenants).pipe(Effect.repeat(Schedule.spaced(options.interval)), Effect.forkScoped)
