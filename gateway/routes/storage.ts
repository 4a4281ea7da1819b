// POST /api/v1/storage/partitions/delete: a tenant's stored events older than a time removed by
// whole partitions on a user's request (SPEC §7, Audit: "storage partition deleted by user").
import { Clock, Effect, Schedule } from "effect"
import type { FastifyPluginAsync } from "fastify"
import type { TenantId } from "../../model/Ids.ts"
import { EventStore } from "../../storage/EventStore.ts"
import { runOrFail, type ApiContext } from "../ApiContext.ts"
import { ApiError, ErrorBody } from "../ApiError.ts"
import { recordAudit } from "../AuditTrail.ts"
import { principalOf } from "../Auth.ts"
import { tenantToActIn } from "../TenantAccess.ts"
import { MainTenantId } from "../../model/Tenant.ts"
import type { Principal } from "../Principal.ts"

const DeleteBody = {
  type: "object",
  properties: {
    tenantID: { type: "string", minLength: 1, maxLength: 64 },
    /** Events older than this go, by whole partitions (whole days): a partition holding a newer event stays. */
    before: { type: "string", format: "date-time" }
  },
  required: ["tenantID", "before"],
  additionalProperties: false
} as const

interface DeleteBody {
  tenantID: string
  before: string
}

const DeleteAnswer = {
  type: "object",
  properties: {
    tenantID: { type: "string" },
    before: { type: "string" },
    /** Storage partitions (cluster) or days (embedded) removed. */
    partitions: { type: "integer" },
    /** Time span of the removed events; absent when nothing was removed. */
    from: { type: "string" },
    to: { type: "string" }
  },
  required: ["tenantID", "before", "partitions"]
} as const

/** The tenant whose events go: no role there answers as an unknown tenant; a role without the permission is 403. */
const storageTenant = (principal: Principal, tenantId: string): TenantId => {
  tenantToActIn(principal, "storage.manage", tenantId, `your role in tenant ${tenantId} does not allow deleting stored events`)
  // The main tenant's events hold the audit trail: they go only by the configured retention.
  if (tenantId === MainTenantId) throw new ApiError(403, "access denied", "the main tenant's events hold the audit trail and are removed only by its retention")
  return tenantId as TenantId
}

const rfc3339 = (millis: number) => new Date(millis).toISOString()

// The events are gone once expiry returns: a passing storage fault must not cost their audit record.
const AuditRetry = Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(5)))

export const storageRoutes = (context: ApiContext): FastifyPluginAsync => async (app) => {
  app.post<{ Body: DeleteBody }>(
    "/storage/partitions/delete",
    { schema: { body: DeleteBody, response: { 200: DeleteAnswer, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const principal = principalOf(request)
      const body = request.body
      const tenantId = storageTenant(principal, body.tenantID)
      const before = Date.parse(body.before)
      if (Number.isNaN(before)) throw new ApiError(400, "invalid request", "before must be an RFC 3339 time")
      const outcome = await runOrFail(
        context,
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          if (before > now) return { _tag: "future" as const }
          const store = yield* EventStore
          const expired = yield* store.expire(tenantId, before)
          const span = expired.partitions > 0 ? { from: rfc3339(expired.from), to: rfc3339(expired.to) } : {}
          yield* recordAudit({
            action: "storage partition deleted by user",
            message: `${expired.partitions} storage partition(s) of tenant ${tenantId} with events before ${rfc3339(before)} deleted by ${principal.login}`,
            actor: principal.login,
            subjectTenantId: tenantId,
            details: { before: rfc3339(before), partitions: String(expired.partitions), ...span }
          }).pipe(Effect.retry({ schedule: AuditRetry, while: (error) => error.transient === true }))
          return { _tag: "deleted" as const, partitions: expired.partitions, span }
        })
      )
      if (outcome._tag === "future") throw new ApiError(400, "before is in the future", "only events older than now can be deleted")
      return { tenantID: tenantId, before: rfc3339(before), partitions: outcome.partitions, ...outcome.span }
    }
  )
}
