// Audit from the gateway (SPEC §7, Audit): each audited action is a type 4 event of the main
// tenant, written to the event store before the request is answered, so a 2xx means it is kept.
import { Clock, Effect } from "effect"
import { randomUUID } from "node:crypto"
import { auditEvent, type AuditFacts } from "../model/AuditEvent.ts"
import { EventStore } from "../storage/EventStore.ts"

/** What a route says about an action; the id and time are filled in here. */
export type AuditRecord = Omit<AuditFacts, "id" | "at">

/** Writes the audit event of one action. */
export const recordAudit = (record: AuditRecord) =>
  Effect.gen(function* () {
    const at = yield* Clock.currentTimeMillis
    const store = yield* EventStore
    yield* store.write([auditEvent({ ...record, id: randomUUID(), at })])
  })
