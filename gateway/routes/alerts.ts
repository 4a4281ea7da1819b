// The alerts area (SPEC §5, §7): GET /api/v1/alerts (the caller's tenants, KUMA's filters, 250
// per page), POST alerts/close with a reason, POST alerts/assign. A write names an alert the
// caller may see, or answers exactly as for a missing one.
import type { FastifyPluginAsync, FastifyRequest } from "fastify"
import type { Alert, ClosingReason } from "../../model/Alert.ts"
import type { AlertId } from "../../model/Ids.ts"
import type { UserId } from "../../model/User.ts"
import { AlertStore } from "../../storage/AlertStore.ts"
import { uuidKey } from "../../storage/StoreListing.ts"
import { Effect } from "effect"
import { runOrFail, type ApiContext } from "../ApiContext.ts"
import { PageParameter, PageSize } from "../ListQuery.ts"
import { patternOf } from "../QueryPattern.ts"
import { ApiError, ErrorBody } from "../ApiError.ts"
import { principalOf } from "../Auth.ts"
import { assignAlert, closeAlert } from "../../storage/IncidentOperations.ts"
import { resolveAssignee } from "../AssigneeResolution.ts"
import { mayIn, tenantsFor, visibleTenants, type Principal } from "../Principal.ts"

const AlertQuerystring = {
  type: "object",
  properties: {
    page: PageParameter,
    id: { type: "array", items: { type: "string", format: "uuid" } },
    tenantID: { type: "array", items: { type: "string" } },
    name: { type: "string", maxLength: 512 },
    timestampField: { type: "string", enum: ["firstSeen", "lastSeen"], default: "lastSeen" },
    from: { type: "string", format: "date-time" },
    to: { type: "string", format: "date-time" },
    status: { type: "array", items: { type: "string", enum: ["new", "assigned", "escalated", "closed"] } },
    withEvents: { type: "string" },
    withAffected: { type: "string" }
  },
  additionalProperties: false
} as const

const AlertBody = {
  type: "object",
  properties: {
    id: { type: "string" },
    tenantID: { type: "string" },
    tenantName: { type: "string" },
    name: { type: "string" },
    correlationRuleID: { type: "string" },
    correlatorID: { type: "string" },
    priority: { type: "integer" },
    status: { type: "string" },
    firstSeen: { type: "string" },
    lastSeen: { type: "string" },
    updatedAt: { type: "string" },
    assignee: { type: "string" },
    groupedBy: { type: "array", items: { type: "string" } },
    closingReason: { type: "string" },
    affectedAssets: { type: "array", items: { type: "string" } },
    affectedAccounts: { type: "array", items: { type: "string" } },
    /** How many events the alert holds (correlation and base), so a queue shows it without withEvents. */
    eventsCount: { type: "integer" },
    events: {
      type: "array",
      items: { type: "object", properties: { id: { type: "string" }, kind: { type: "string" } } }
    }
  }
} as const

interface AlertQuerystring {
  page: number
  id?: Array<string>
  tenantID?: Array<string>
  name?: string
  timestampField: "firstSeen" | "lastSeen"
  from?: string
  to?: string
  status?: Array<"new" | "assigned" | "escalated" | "closed">
  withEvents?: string
  withAffected?: string
}

const CloseBody = {
  type: "object",
  properties: {
    id: { type: "string", format: "uuid" },
    reason: { type: "string", enum: ["responded", "incorrect data", "incorrect correlation rule"] }
  },
  required: ["id", "reason"],
  additionalProperties: false
} as const

interface CloseBody {
  id: string
  reason: ClosingReason
}

/** Alerts are named by `id` or `ids`; the assignee by user id (`userID`) or by login or id (`assignee`). */
const AssignBody = {
  type: "object",
  properties: {
    id: { type: "string", format: "uuid" },
    ids: { type: "array", items: { type: "string", format: "uuid" }, minItems: 1, maxItems: PageSize },
    userID: { type: "string", format: "uuid" },
    assignee: { type: "string", minLength: 1, maxLength: 512 }
  },
  additionalProperties: false
} as const

interface AssignBody {
  id?: string
  ids?: Array<string>
  userID?: string
  assignee?: string
}

const NoContent = { type: "null" } as const

const alertNotFound = () => new ApiError(404, "alert not found", "")
const mayNotManage = () => new ApiError(403, "access denied", "your role in the alert's tenant does not allow managing alerts")

const rfc3339 = (millis: number) => new Date(millis).toISOString()

export const alertsRoutes = (context: ApiContext): FastifyPluginAsync => async (app) => {
  const tenantNames = new Map(context.tenants.map((tenant) => [tenant.id as string, tenant.name]))
  const present = (alert: Alert, withEvents: boolean, withAffected: boolean) => ({
    id: alert.id,
    tenantID: alert.tenantID,
    tenantName: tenantNames.get(alert.tenantID) ?? alert.tenantID,
    name: alert.name,
    correlationRuleID: alert.correlationRuleID,
    correlatorID: alert.correlatorID,
    priority: alert.priority,
    status: alert.status,
    firstSeen: rfc3339(alert.firstSeen),
    lastSeen: rfc3339(alert.lastSeen),
    updatedAt: rfc3339(alert.updatedAt),
    ...(alert.assignee !== undefined ? { assignee: alert.assignee } : {}),
    groupedBy: [...alert.groupedBy],
    ...(alert.closingReason !== undefined ? { closingReason: alert.closingReason } : {}),
    eventsCount: alert.correlationEventIDs.length + alert.baseEventIDs.length,
    ...(withAffected ? { affectedAssets: [...(alert.affectedAssets ?? [])], affectedAccounts: [...(alert.affectedAccounts ?? [])] } : {}),
    ...(withEvents
      ? {
          events: [
            ...alert.correlationEventIDs.map((id) => ({ id, kind: "correlation" })),
            ...alert.baseEventIDs.map((id) => ({ id, kind: "base" }))
          ]
        }
      : {})
  })

  app.get<{ Querystring: AlertQuerystring }>(
    "/alerts",
    { schema: { querystring: AlertQuerystring, response: { 200: { type: "array", items: AlertBody }, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const query = request.query
      const name = patternOf("name", query.name)
      const tenantIds = tenantsFor(principalOf(request), "alerts.read", query.tenantID ?? [])
      const alerts = await runOrFail(
        context,
        Effect.flatMap(AlertStore, (store) =>
          store.list({
            tenantIds,
            ids: (query.id ?? []) as Array<AlertId>,
            statuses: query.status ?? [],
            timestampField: query.timestampField,
            ...(name !== undefined ? { name } : {}),
            ...(query.from !== undefined ? { from: Date.parse(query.from) } : {}),
            ...(query.to !== undefined ? { to: Date.parse(query.to) } : {}),
            page: query.page,
            pageSize: PageSize
          })
        )
      )
      return alerts.map((alert) => present(alert, query.withEvents !== undefined, query.withAffected !== undefined))
    }
  )

  /**
   * The alert the caller names: 403 when they may manage alerts nowhere (that says nothing of the
   * alert), 404 when it is missing or in a tenant they cannot see, 403 when they see but may not manage it.
   */
  const manageableAlert = async (principal: Principal, id: string): Promise<Alert> => {
    if (tenantsFor(principal, "alerts.manage").length === 0) throw mayNotManage()
    const tenantIds = visibleTenants(principal, [])
    const [alert] = await runOrFail(
      context,
      Effect.flatMap(AlertStore, (store) =>
        store.list({ tenantIds, ids: [uuidKey(id) as AlertId], statuses: [], timestampField: "lastSeen", page: 1, pageSize: 1 })
      )
    )
    if (alert === undefined) throw alertNotFound()
    if (!mayIn(principal, "alerts.manage", alert.tenantID)) throw mayNotManage()
    return alert
  }

  const alertFailure = (error: { readonly _tag: string }): ApiError | undefined =>
    error._tag === "AlertNotFound"
      ? alertNotFound()
      : error._tag === "AlertClosed"
        ? new ApiError(406, "alert already closed", "")
        : error._tag === "AssigneeUnknown"
          ? new ApiError(400, "unknown assignee", "no enabled user by that id or login may work on alerts of the alert's tenant")
          : undefined

  app.post<{ Body: CloseBody }>(
    "/alerts/close",
    { schema: { body: CloseBody, response: { 204: NoContent, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request, reply) => {
      const alert = await manageableAlert(principalOf(request), request.body.id)
      await runOrFail(context, closeAlert(alert.tenantID, alert.id, request.body.reason), alertFailure)
      return reply.status(204).send()
    }
  )

  const assigneeOf = (request: FastifyRequest<{ Body: AssignBody }>): string => {
    const { userID, assignee } = request.body
    if ((userID === undefined) === (assignee === undefined)) throw new ApiError(400, "invalid request", "give exactly one of userID and assignee")
    return (userID ?? assignee)!
  }

  app.post<{ Body: AssignBody }>(
    "/alerts/assign",
    { schema: { body: AssignBody, response: { 204: NoContent, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request, reply) => {
      const principal = principalOf(request)
      const ids = [...new Set([...(request.body.id !== undefined ? [request.body.id] : []), ...(request.body.ids ?? [])].map(uuidKey))]
      if (ids.length === 0) throw new ApiError(400, "invalid request", "give id or ids")
      const reference = assigneeOf(request)
      const alerts: Array<Alert> = []
      for (const id of ids) alerts.push(await manageableAlert(principal, id))
      // Nothing changes unless every alert may: a closed one refuses the whole request.
      if (alerts.some((alert) => alert.status === "closed")) throw new ApiError(406, "alert already closed", "")
      const tenantIds = context.tenants.map((tenant) => tenant.id)
      await runOrFail(
        context,
        Effect.gen(function* () {
          // The assignee is checked in every tenant involved before any alert changes.
          const assignees = new Map<string, UserId>()
          for (const tenantId of new Set(alerts.map((alert) => alert.tenantID))) {
            assignees.set(tenantId, yield* resolveAssignee(reference, tenantId, "alerts.manage", tenantIds))
          }
          for (const alert of alerts) yield* assignAlert(alert.tenantID, alert.id, assignees.get(alert.tenantID)!)
        }),
        alertFailure
      )
      return reply.status(204).send()
    }
  )
}
