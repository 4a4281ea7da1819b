// The incidents area (SPEC §5, §7): list and read incidents of the caller's tenants, open one by
// hand in a tenant the caller manages, change, assign and close it, link and unlink alerts of
// its tenant, merge another incident into it. A foreign id answers exactly as a missing one.
import { Effect } from "effect"
import type { FastifyPluginAsync } from "fastify"
import type { AlertId, TenantId } from "../../model/Ids.ts"
import type { Incident, IncidentPriority, IncidentStatus } from "../../model/Incident.ts"
import type { IncidentId } from "../../model/IncidentId.ts"
import type { UserId } from "../../model/User.ts"
import { IncidentStore } from "../../storage/IncidentStore.ts"
import { uuidKey } from "../../storage/StoreListing.ts"
import { runOrFail, type ApiContext } from "../ApiContext.ts"
import { PageParameter, PageSize } from "../ListQuery.ts"
import { patternOf } from "../QueryPattern.ts"
import { ApiError, ErrorBody } from "../ApiError.ts"
import { principalOf } from "../Auth.ts"
import { createIncident, linkAlerts, mergeIncidents, unlinkAlerts, updateIncident, type IncidentChanges } from "../../storage/IncidentOperations.ts"
import { resolveAssignee } from "../AssigneeResolution.ts"
import { mayIn, tenantsFor, type Principal } from "../Principal.ts"

const Priorities = ["low", "medium", "high", "critical"] as const
const Statuses = ["open", "assigned", "closed"] as const

const IncidentQuerystring = {
  type: "object",
  properties: {
    page: PageParameter,
    id: { type: "array", items: { type: "string", format: "uuid" } },
    tenantID: { type: "array", items: { type: "string" } },
    name: { type: "string", maxLength: 512 },
    status: { type: "array", items: { type: "string", enum: Statuses } }
  },
  additionalProperties: false
} as const

interface IncidentQuerystring {
  page: number
  id?: Array<string>
  tenantID?: Array<string>
  name?: string
  status?: Array<IncidentStatus>
}

const IncidentParams = {
  type: "object",
  properties: { id: { type: "string", format: "uuid" } },
  required: ["id"],
  additionalProperties: false
} as const

interface IncidentParams {
  id: string
}

const Text = { type: "string", maxLength: 4096 } as const
const Name = { type: "string", minLength: 1, maxLength: 512 } as const

const CreateBody = {
  type: "object",
  properties: {
    name: Name,
    priority: { type: "string", enum: Priorities, default: "medium" },
    category: { ...Text, default: "" },
    type: { ...Text, default: "" },
    description: { type: "string", maxLength: 65_536, default: "" },
    tenantID: { type: "string", minLength: 1, maxLength: 64 },
    assignee: { type: "string", minLength: 1, maxLength: 512 }
  },
  required: ["name"],
  additionalProperties: false
} as const

interface CreateBody {
  name: string
  priority: IncidentPriority
  category: string
  type: string
  description: string
  tenantID?: string
  assignee?: string
}

/** `assignee` (user id or login) assigns, null takes the incident back to open; `closingReason` closes it. */
const PatchBody = {
  type: "object",
  properties: {
    name: Name,
    priority: { type: "string", enum: Priorities },
    category: Text,
    type: Text,
    description: { type: "string", maxLength: 65_536 },
    assignee: { type: ["string", "null"], minLength: 1, maxLength: 512 },
    closingReason: { type: "string", minLength: 1, maxLength: 4096 }
  },
  minProperties: 1,
  additionalProperties: false
} as const

interface PatchBody {
  name?: string
  priority?: IncidentPriority
  category?: string
  type?: string
  description?: string
  assignee?: string | null
  closingReason?: string
}

const AlertsBody = {
  type: "object",
  properties: { alertIDs: { type: "array", items: { type: "string", format: "uuid" }, minItems: 1, maxItems: PageSize } },
  required: ["alertIDs"],
  additionalProperties: false
} as const

interface AlertsBody {
  alertIDs: Array<string>
}

const MergeBody = {
  type: "object",
  properties: { from: { type: "string", format: "uuid" } },
  required: ["from"],
  additionalProperties: false
} as const

interface MergeBody {
  from: string
}

const Strings = { type: "array", items: { type: "string" } } as const

const IncidentBody = {
  type: "object",
  properties: {
    id: { type: "string" },
    tenantID: { type: "string" },
    tenantName: { type: "string" },
    name: { type: "string" },
    priority: { type: "string", enum: Priorities },
    category: { type: "string" },
    type: { type: "string" },
    description: { type: "string" },
    assignee: { type: "string" },
    status: { type: "string", enum: Statuses },
    closingReason: { type: "string" },
    alertIDs: Strings,
    affectedAssets: Strings,
    affectedAccounts: Strings,
    createdAt: { type: "string", format: "date-time" },
    updatedAt: { type: "string", format: "date-time" },
    mergedInto: { type: "string" }
  },
  required: ["id", "tenantID", "tenantName", "name", "priority", "category", "type", "description", "status", "alertIDs", "affectedAssets", "affectedAccounts", "createdAt", "updatedAt"]
} as const

const Responses = { 200: IncidentBody, "4xx": ErrorBody, "5xx": ErrorBody } as const

const rfc3339 = (millis: number) => new Date(millis).toISOString()

const incidentNotFound = () => new ApiError(404, "incident not found", "")
const mayNotManage = () => new ApiError(403, "not allowed to manage incidents in this tenant", "")

/** Domain failures of the incident service as KUMA answers; a missing and a foreign object answer alike. */
const incidentFailure = (error: { readonly _tag: string }): ApiError | undefined => {
  switch (error._tag) {
    case "IncidentNotFound":
      return incidentNotFound()
    case "AlertNotFound":
      return new ApiError(404, "alert not found", "")
    case "AlertAlreadyLinked": {
      const { alertId, incidentId } = error as unknown as { alertId: string; incidentId: string }
      return new ApiError(409, "alert already linked to another incident", `alert ${alertId} is linked to incident ${incidentId}`)
    }
    case "IncidentClosed":
      return new ApiError(406, "incident is closed", "")
    case "MergeIntoItself":
      return new ApiError(400, "an incident cannot be merged into itself", "")
    case "AssigneeUnknown":
      return new ApiError(400, "unknown assignee", "no enabled user by that id or login may work on incidents of the incident's tenant")
    default:
      return undefined
  }
}

export const incidentsRoutes = (context: ApiContext): FastifyPluginAsync => async (app) => {
  const tenantNames = new Map(context.tenants.map((tenant) => [tenant.id as string, tenant.name]))
  const tenantIds = context.tenants.map((tenant) => tenant.id)
  const present = (incident: Incident) => ({
    id: incident.id,
    tenantID: incident.tenantID,
    tenantName: tenantNames.get(incident.tenantID) ?? incident.tenantID,
    name: incident.name,
    priority: incident.priority,
    category: incident.category,
    type: incident.type,
    description: incident.description,
    ...(incident.assignee !== undefined ? { assignee: incident.assignee } : {}),
    status: incident.status,
    ...(incident.closingReason !== undefined ? { closingReason: incident.closingReason } : {}),
    alertIDs: [...incident.alertIDs],
    affectedAssets: [...incident.affectedAssets],
    affectedAccounts: [...incident.affectedAccounts],
    createdAt: rfc3339(incident.createdAt),
    updatedAt: rfc3339(incident.updatedAt),
    ...(incident.mergedInto !== undefined ? { mergedInto: incident.mergedInto } : {})
  })

  /** The incident among those the caller may read, or 404 exactly as for a missing one. */
  const visibleIncident = async (principal: Principal, id: string): Promise<Incident> => {
    const [incident] = await runOrFail(
      context,
      Effect.flatMap(IncidentStore, (store) =>
        store.list({ tenantIds: tenantsFor(principal, "incidents.read"), ids: [uuidKey(id) as IncidentId], statuses: [], page: 1, pageSize: 1 })
      )
    )
    if (incident === undefined) throw incidentNotFound()
    return incident
  }

  /** As visibleIncident for a write: 403 first when the caller may manage incidents nowhere, 403 when they may read but not manage it. */
  const manageableIncident = async (principal: Principal, id: string): Promise<Incident> => {
    if (tenantsFor(principal, "incidents.manage").length === 0) throw mayNotManage()
    const incident = await visibleIncident(principal, id)
    if (!mayIn(principal, "incidents.manage", incident.tenantID)) throw mayNotManage()
    return incident
  }

  const alertIdsOf = (body: AlertsBody) => body.alertIDs.map((id) => uuidKey(id) as AlertId)

  app.get<{ Querystring: IncidentQuerystring }>(
    "/incidents",
    { schema: { querystring: IncidentQuerystring, response: { 200: { type: "array", items: IncidentBody }, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const query = request.query
      const name = patternOf("name", query.name)
      const incidents = await runOrFail(
        context,
        Effect.flatMap(IncidentStore, (store) =>
          store.list({
            tenantIds: tenantsFor(principalOf(request), "incidents.read", query.tenantID ?? []),
            ids: (query.id ?? []).map((id) => uuidKey(id) as IncidentId),
            statuses: query.status ?? [],
            ...(name !== undefined ? { name } : {}),
            page: query.page,
            pageSize: PageSize
          })
        )
      )
      return incidents.map(present)
    }
  )

  app.get<{ Params: IncidentParams }>("/incidents/:id", { schema: { params: IncidentParams, response: Responses } }, async (request) =>
    present(await visibleIncident(principalOf(request), request.params.id))
  )

  app.post<{ Body: CreateBody }>("/incidents", { schema: { body: CreateBody, response: Responses } }, async (request) => {
    const principal = principalOf(request)
    const body = request.body
    const allowed = tenantsFor(principal, "incidents.manage")
    let tenantId: TenantId
    if (body.tenantID !== undefined) {
      // A tenant the caller holds no managing role in answers the same whether it exists or not.
      if (!allowed.includes(body.tenantID as TenantId)) throw mayNotManage()
      tenantId = body.tenantID as TenantId
    } else if (allowed.length === 1) {
      tenantId = allowed[0]!
    } else if (allowed.length === 0) {
      throw mayNotManage()
    } else {
      throw new ApiError(400, "tenantID required", "you manage incidents in several tenants: name one")
    }
    const incident = await runOrFail(
      context,
      Effect.gen(function* () {
        const assignee = body.assignee === undefined ? undefined : yield* resolveAssignee(body.assignee, tenantId, "incidents.manage", tenantIds)
        return yield* createIncident({
          tenantID: tenantId,
          name: body.name,
          priority: body.priority,
          category: body.category,
          type: body.type,
          description: body.description,
          ...(assignee !== undefined ? { assignee } : {})
        })
      }),
      incidentFailure
    )
    return present(incident)
  })

  app.patch<{ Params: IncidentParams; Body: PatchBody }>(
    "/incidents/:id",
    { schema: { params: IncidentParams, body: PatchBody, response: Responses } },
    async (request) => {
      const incident = await manageableIncident(principalOf(request), request.params.id)
      const { assignee, ...rest } = request.body
      const updated = await runOrFail(
        context,
        Effect.gen(function* () {
          const resolved: UserId | null | undefined =
            assignee === undefined || assignee === null ? assignee : yield* resolveAssignee(assignee, incident.tenantID, "incidents.manage", tenantIds)
          const changes: IncidentChanges = { ...rest, ...(resolved !== undefined ? { assignee: resolved } : {}) }
          return yield* updateIncident(incident.tenantID, incident.id, changes)
        }),
        incidentFailure
      )
      return present(updated)
    }
  )

  app.post<{ Params: IncidentParams; Body: AlertsBody }>(
    "/incidents/:id/link",
    { schema: { params: IncidentParams, body: AlertsBody, response: Responses } },
    async (request) => {
      const incident = await manageableIncident(principalOf(request), request.params.id)
      return present(await runOrFail(context, linkAlerts(incident.tenantID, incident.id, alertIdsOf(request.body)), incidentFailure))
    }
  )

  app.post<{ Params: IncidentParams; Body: AlertsBody }>(
    "/incidents/:id/unlink",
    { schema: { params: IncidentParams, body: AlertsBody, response: Responses } },
    async (request) => {
      const incident = await manageableIncident(principalOf(request), request.params.id)
      return present(await runOrFail(context, unlinkAlerts(incident.tenantID, incident.id, alertIdsOf(request.body)), incidentFailure))
    }
  )

  app.post<{ Params: IncidentParams; Body: MergeBody }>(
    "/incidents/:id/merge",
    { schema: { params: IncidentParams, body: MergeBody, response: Responses } },
    async (request) => {
      const target = await manageableIncident(principalOf(request), request.params.id)
      // The source is looked up in the target's tenant only: any other answers as missing.
      const merged = await runOrFail(context, mergeIncidents(target.tenantID, target.id, uuidKey(request.body.from) as IncidentId), incidentFailure)
      return present(merged)
    }
  )
}
