// POST /api/v1/events (SPEC §6, §7): an SQL-subset search over the caller's tenants' events
// within a period; GET /api/v1/events/clusters: the storage clusters a search can name (one per
// installation: its event store).
import type { FastifyPluginAsync } from "fastify"
import { EventFieldKinds, isEventFieldName, type EventFieldName, type NormalizedEvent } from "../../model/Event.ts"
import { fieldReader, runEventSearch } from "../../storage/query/EventSearch.ts"
import { parseEventSql, EventSqlError, type SelectItem } from "../../storage/query/EventSql.ts"
import { runOrFail, type ApiContext } from "../ApiContext.ts"
import { NamedListQuerystring } from "../ListQuery.ts"
import { patternOf } from "../QueryPattern.ts"
import { ApiError, ErrorBody } from "../ApiError.ts"
import { principalOf } from "../Auth.ts"
import { tenantsFor } from "../Principal.ts"
import { MainTenantId } from "../../model/Tenant.ts"
import { createHash } from "node:crypto"

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
    clusterID: { type: "string", maxLength: 64 },
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

const TimeFields = new Set<string>(["Timestamp", "StartTime", "EndTime", "ReceiptTime"])
const AllFields = Object.keys(EventFieldKinds) as Array<EventFieldName>

const timeValue = (field: string | undefined, value: unknown, body: SearchBody): unknown =>
  field !== undefined && TimeFields.has(field) && typeof value === "number" && !body.rawTimestamps ? new Date(value).toISOString() : value

const presentEvent = (event: NormalizedEvent, select: ReadonlyArray<SelectItem>, body: SearchBody) => {
  const out: Record<string, unknown> = {}
  const items = select.length > 0 ? select : AllFields.map((field) => ({ kind: "field" as const, field, name: field }))
  for (const item of items) {
    if (item.kind !== "field") continue
    const value = fieldReader(item.field)(event) ?? (isEventFieldName(item.field) ? event[item.field] : undefined)
    if (value === undefined) {
      if (body.emptyFields) out[item.name] = null
      continue
    }
    out[item.name] = timeValue(item.field, value, body)
  }
  return out
}

// A group's row: min and max of a time field read as times; counts, sums and averages as numbers.
const presentGroup = (cells: ReadonlyArray<unknown>, select: ReadonlyArray<SelectItem>, body: SearchBody) => {
  const out: Record<string, unknown> = {}
  select.forEach((item, index) => {
    const value = cells[index] ?? null
    if (value === null && !body.emptyFields && item.kind === "field") return
    const timed = item.kind === "field" || item.fn === "min" || item.fn === "max" ? item.field : undefined
    out[item.name] = timeValue(timed, value, body)
  })
  return out
}

const ClustersQuerystring = NamedListQuerystring
type ClustersQuerystring = NamedListQuerystring

const ClusterBody = {
  type: "object",
  properties: { id: { type: "string" }, name: { type: "string" }, tenantID: { type: "string" }, tenantName: { type: "string" } },
  required: ["id", "name", "tenantID", "tenantName"],
  additionalProperties: false
} as const

/** The installation's one storage cluster; its id never changes, as KUMA clients keep it in their scripts. */
export const StorageCluster = (() => {
  const hex = createHash("sha256").update("corvus storage cluster").digest("hex")
  return { id: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`, name: "Corvus event storage" }
})()

export const eventsRoutes = (context: ApiContext): FastifyPluginAsync => async (app) => {
  const cluster = StorageCluster
  const mainTenant = context.tenants.find((tenant) => tenant.main) ?? { id: MainTenantId, name: "Main" }

  // Anyone who may search events somewhere searches through this cluster, so may see it.
  app.get<{ Querystring: ClustersQuerystring }>(
    "/events/clusters",
    { schema: { querystring: ClustersQuerystring, response: { 200: { type: "array", items: ClusterBody }, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const query = request.query
      const name = patternOf("name", query.name)
      const visible =
        tenantsFor(principalOf(request), "events.search").length > 0 &&
        query.page === 1 &&
        (query.id === undefined || query.id.includes(cluster.id)) &&
        (query.tenantID === undefined || query.tenantID.includes(mainTenant.id)) &&
        (name === undefined || name.test(cluster.name))
      return visible ? [{ ...cluster, tenantID: mainTenant.id, tenantName: mainTenant.name }] : []
    }
  )

  app.post<{ Body: SearchBody }>(
    "/events",
    { schema: { body: SearchBody, response: { 200: { type: "array", items: { type: "object", additionalProperties: true } }, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const body = request.body
      const from = Date.parse(body.period.from)
      const to = Date.parse(body.period.to)
      if (to < from) throw new ApiError(400, "invalid period", "period.to is before period.from")
      if (body.clusterID !== undefined && body.clusterID !== cluster.id) throw new ApiError(404, "cluster not found", `no storage cluster with id ${JSON.stringify(body.clusterID).slice(0, 80)}; GET /api/v1/events/clusters lists them`)
      const parsed = parseEventSql(body.sql)
      if (parsed instanceof EventSqlError) throw new ApiError(400, "invalid sql", parsed.message)
      // The caller's tenants are decided here, from the token, and bound below any query text.
      const tenantIds = tenantsFor(principalOf(request), "events.search")
      const outcome = await runOrFail(context, runEventSearch(parsed, { tenantIds, from, to }))
      return outcome.kind === "events"
        ? outcome.events.map((event) => presentEvent(event, parsed.select, body))
        : outcome.rows.map((cells) => presentGroup(cells, outcome.columns, body))
    }
  )
}
