// POST /api/v1/events (SPEC §6, §7): an SQL-subset search over the caller's tenants' events
// within a period.
import type { FastifyPluginAsync } from "fastify"
import { Effect } from "effect"
import { EventFieldKinds, type EventFieldName, type NormalizedEvent } from "../../model/Event.ts"
import { EventStore } from "../../storage/EventStore.ts"
import { parseEventSql, EventSqlError } from "../../storage/query/EventSql.ts"
import { runOrFail, type ApiContext } from "../ApiContext.ts"
import { ApiError, ErrorBody } from "../ApiError.ts"
import { principalOf } from "../Auth.ts"
import { visibleTenants } from "../Principal.ts"

const SearchBody = {
  type: "object",
  properties: {
    period: {
      type: "object",
      properties: { from: { type: "string", format: "date-time" }, to: { type: "string", format: "date-time" } },
      required: ["from", "to"],
      additionalProperties: false
    },
    sql: { type: "string", minLength: 1, maxLength: 65_536 },
    clusterID: { type: "string" },
    rawTimestamps: { type: "boolean", default: false },
    emptyFields: { type: "boolean", default: false }
  },
  required: ["period", "sql"],
  additionalProperties: false
} as const

interface SearchBody {
  period: { from: string; to: string }
  sql: string
  clusterID?: string
  rawTimestamps: boolean
  emptyFields: boolean
}

const TimeFields = new Set<EventFieldName>(["Timestamp", "StartTime", "EndTime", "ReceiptTime"])
const AllFields = Object.keys(EventFieldKinds) as Array<EventFieldName>

const present = (event: NormalizedEvent, columns: ReadonlyArray<EventFieldName>, body: SearchBody) => {
  const out: Record<string, unknown> = {}
  for (const field of columns.length > 0 ? columns : AllFields) {
    const value = event[field]
    if (value === undefined) {
      if (body.emptyFields) out[field] = null
      continue
    }
    out[field] = TimeFields.has(field) && !body.rawTimestamps ? new Date(value as number).toISOString() : value
  }
  return out
}

export const eventsRoutes = (context: ApiContext): FastifyPluginAsync => async (app) => {
  app.post<{ Body: SearchBody }>(
    "/events",
    { schema: { body: SearchBody, response: { 200: { type: "array", items: { type: "object", additionalProperties: true } }, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const body = request.body
      const from = Date.parse(body.period.from)
      const to = Date.parse(body.period.to)
      if (to < from) throw new ApiError(400, "invalid period", "period.to is before period.from")
      const parsed = parseEventSql(body.sql)
      if (parsed instanceof EventSqlError) throw new ApiError(400, "invalid sql", parsed.message)
      const tenantIds = visibleTenants(principalOf(request), [])
      const events = await runOrFail(
        context,
        Effect.flatMap(EventStore, (store) => store.search({ tenantIds, from, to, filter: parsed.filter, limit: parsed.limit, order: parsed.order }))
      )
      return events.map((event) => present(event, parsed.columns, body))
    }
  )
}
