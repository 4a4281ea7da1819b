// GET /api/v1/alerts (SPEC §7): alerts of the caller's tenants, KUMA's filters, 250 per page.
import type { FastifyPluginAsync } from "fastify"
import type { Alert } from "../../model/Alert.ts"
import type { AlertId } from "../../model/Ids.ts"
import { AlertStore } from "../../storage/AlertStore.ts"
import { Effect } from "effect"
import { runOrFail, type ApiContext } from "../ApiContext.ts"
import { ApiError, ErrorBody } from "../ApiError.ts"
import { principalOf } from "../Auth.ts"
import { visibleTenants } from "../Principal.ts"

export const PageSize = 250

const AlertQuerystring = {
  type: "object",
  properties: {
    page: { type: "integer", minimum: 1, default: 1 },
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
}

const rfc3339 = (millis: number) => new Date(millis).toISOString()

export const alertsRoutes = (context: ApiContext): FastifyPluginAsync => async (app) => {
  const tenantNames = new Map(context.tenants.map((tenant) => [tenant.id as string, tenant.name]))
  const present = (alert: Alert, withEvents: boolean) => ({
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
      let name: RegExp | undefined
      if (query.name !== undefined) {
        try {
          name = new RegExp(query.name, "i")
        } catch (cause) {
          throw new ApiError(400, "invalid name pattern", (cause as Error).message)
        }
      }
      const tenantIds = visibleTenants(principalOf(request), query.tenantID ?? [])
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
      return alerts.map((alert) => present(alert, query.withEvents !== undefined))
    }
  )
}
