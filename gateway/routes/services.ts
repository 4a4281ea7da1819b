// GET /api/v1/services (SPEC §7): the collectors, correlators, storages and agents of the
// caller's tenants, with KUMA's filters, 250 per page; POST to create a service record,
// DELETE /services/{id}, both audited; POST /services/{id}/restart restarts it wherever it runs
// (the node audits "service restarted" once it runs again).
import { Clock, Effect, Option } from "effect"
import type { FastifyPluginAsync } from "fastify"
import { randomUUID } from "node:crypto"
import type { TenantId } from "../../model/Ids.ts"
import { ServiceId, type Service } from "../../model/Service.ts"
import { ServiceStore } from "../../storage/ServiceStore.ts"
import { runOrFail, type ApiContext } from "../ApiContext.ts"
import { PageParameter, PageSize, TenantIdsParameter } from "../ListQuery.ts"
import { patternOf } from "../QueryPattern.ts"
import { ApiError, ErrorBody } from "../ApiError.ts"
import { recordAudit } from "../AuditTrail.ts"
import { principalOf } from "../Auth.ts"
import { tenantToActIn } from "../TenantAccess.ts"
import { mayIn, tenantsFor, type Principal } from "../Principal.ts"
import { serviceRestarterOf } from "../ServiceRestarter.ts"

const Kinds = ["collector", "correlator", "storage", "agent"] as const satisfies ReadonlyArray<Service["kind"]>

const ServiceQuerystring = {
  type: "object",
  properties: {
    page: PageParameter,
    id: { type: "array", items: { type: "string", maxLength: 64 } },
    tenantID: TenantIdsParameter,
    name: { type: "string", maxLength: 512 },
    fqdn: { type: "string", maxLength: 512 },
    kind: { type: "array", items: { type: "string", enum: Kinds } },
    paired: { type: "string" }
  },
  additionalProperties: false
} as const

interface ServiceQuerystring {
  page: number
  id?: Array<string>
  tenantID?: Array<string>
  name?: string
  fqdn?: string
  kind?: Array<Service["kind"]>
  paired?: string
}

const ServiceBody = {
  type: "object",
  properties: {
    id: { type: "string" },
    tenantID: { type: "string" },
    tenantName: { type: "string" },
    name: { type: "string" },
    kind: { type: "string" },
    fqdn: { type: "string" },
    paired: { type: "boolean" },
    status: { type: "string" },
    createdAt: { type: "string" },
    updatedAt: { type: "string" }
  },
  required: ["id", "tenantID", "tenantName", "name", "kind", "paired", "status", "createdAt", "updatedAt"]
} as const

const CreateBody = {
  type: "object",
  properties: {
    tenantID: { type: "string", minLength: 1, maxLength: 64 },
    name: { type: "string", minLength: 1, maxLength: 512 },
    kind: { type: "string", enum: Kinds },
    fqdn: { type: "string", minLength: 1, maxLength: 255 },
    /** The service's configuration, any JSON object; kept, never listed. */
    config: { type: "object" }
  },
  required: ["tenantID", "name", "kind"],
  additionalProperties: false
} as const

interface CreateBody {
  tenantID: string
  name: string
  kind: Service["kind"]
  fqdn?: string
  config?: Record<string, unknown>
}

const ServiceIdParams = {
  type: "object",
  properties: { id: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" } },
  required: ["id"],
  additionalProperties: false
} as const

const NoBody = { type: "null" } as const

const ServiceNotFound = () => new ApiError(404, "service not found", "")

/**
 * The tenant a service is created in: a tenant where the caller holds no role answers as an
 * unknown one; a role there without the permission is 403.
 */
const writeTenant = (principal: Principal, tenantId: string): TenantId =>
  tenantToActIn(principal, "services.manage", tenantId, `your role in tenant ${tenantId} does not allow managing services`)

const rfc3339 = (millis: number) => new Date(millis).toISOString()

/**
 * The caller's service with this id, looked for only in the caller's tenants (another tenant's is
 * never found); a seeded id held by several of them is the one the caller may manage.
 */
const managedService = (principal: Principal, id: ServiceId) =>
  Effect.gen(function* () {
    const store = yield* ServiceStore
    const found: Array<Service> = []
    for (const tenantId of principal.roles.keys()) {
      const service = yield* store.get(tenantId, id)
      if (Option.isSome(service)) found.push(service.value)
    }
    const service = found.find((candidate) => mayIn(principal, "services.manage", candidate.tenantID)) ?? found[0]
    if (service === undefined) return { _tag: "missing" as const }
    if (!mayIn(principal, "services.manage", service.tenantID)) return { _tag: "denied" as const, tenantId: service.tenantID }
    return { _tag: "found" as const, service }
  })

const ManageDenied = (tenantId: string) => new ApiError(403, "access denied", `your role in tenant ${tenantId} does not allow managing services`)

export const servicesRoutes = (context: ApiContext): FastifyPluginAsync => async (app) => {
  const tenantNames = new Map(context.tenants.map((tenant) => [tenant.id as string, tenant.name]))
  const answerOf = (service: Service) => ({
    id: service.id,
    tenantID: service.tenantID,
    tenantName: tenantNames.get(service.tenantID) ?? service.tenantID,
    name: service.name,
    kind: service.kind,
    ...(service.fqdn !== undefined ? { fqdn: service.fqdn } : {}),
    paired: service.paired,
    status: service.status,
    createdAt: rfc3339(service.createdAt),
    updatedAt: rfc3339(service.updatedAt)
  })

  app.get<{ Querystring: ServiceQuerystring }>(
    "/services",
    { schema: { querystring: ServiceQuerystring, response: { 200: { type: "array", items: ServiceBody }, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const query = request.query
      const name = patternOf("name", query.name)
      const fqdn = patternOf("fqdn", query.fqdn)
      const tenantIds = tenantsFor(principalOf(request), "services.read", query.tenantID ?? [])
      if (tenantIds.length === 0) return []
      const services = await runOrFail(
        context,
        Effect.flatMap(ServiceStore, (store) =>
          store.list({
            tenantIds,
            ids: (query.id ?? []) as Array<ServiceId>,
            kinds: query.kind ?? [],
            ...(name !== undefined ? { name } : {}),
            ...(fqdn !== undefined ? { fqdn } : {}),
            // A flag is true when present; absent means paired and unpaired alike.
            ...(query.paired !== undefined ? { paired: true } : {}),
            page: query.page,
            pageSize: PageSize
          })
        )
      )
      return services.map(answerOf)
    }
  )

  app.post<{ Body: CreateBody }>(
    "/services",
    { schema: { body: CreateBody, response: { 201: ServiceBody, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request, reply) => {
      const principal = principalOf(request)
      const body = request.body
      const tenantId = writeTenant(principal, body.tenantID)
      const service = await runOrFail(
        context,
        Effect.gen(function* () {
          const store = yield* ServiceStore
          const now = yield* Clock.currentTimeMillis
          // The id is always made here: an id named by the caller could be another tenant's.
          const created: Service = {
            id: ServiceId.make(randomUUID()),
            tenantID: tenantId,
            name: body.name,
            kind: body.kind,
            ...(body.fqdn !== undefined ? { fqdn: body.fqdn } : {}),
            paired: false,
            status: "grey",
            createdAt: now,
            updatedAt: now,
            config: body.config ?? {}
          }
          yield* store.save(created)
          yield* recordAudit({
            action: "service created",
            message: `${created.kind} service ${created.name} created`,
            actor: principal.login,
            subjectTenantId: tenantId,
            details: { serviceID: created.id, kind: created.kind, name: created.name }
          })
          return created
        })
      )
      return reply.status(201).send(answerOf(service))
    }
  )

  app.delete<{ Params: { id: string } }>(
    "/services/:id",
    { schema: { params: ServiceIdParams, response: { 204: NoBody, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request, reply) => {
      const principal = principalOf(request)
      const id = request.params.id as ServiceId
      const outcome = await runOrFail(
        context,
        Effect.gen(function* () {
          const store = yield* ServiceStore
          // Only the caller's tenants are looked into: another tenant's service is never found, so never deleted.
          const lookup = yield* managedService(principal, id)
          if (lookup._tag !== "found") return lookup
          const service = lookup.service
          // Gone between the lookup and the delete: someone else deleted it, and audited that.
          if (!(yield* store.delete(service.tenantID, service.id))) return { _tag: "missing" as const }
          yield* recordAudit({
            action: "service deleted",
            message: `${service.kind} service ${service.name} deleted`,
            actor: principal.login,
            subjectTenantId: service.tenantID,
            details: { serviceID: service.id, kind: service.kind, name: service.name }
          })
          return { _tag: "deleted" as const }
        })
      )
      switch (outcome._tag) {
        case "missing":
          throw ServiceNotFound()
        case "denied":
          throw ManageDenied(outcome.tenantId)
        case "deleted":
          return reply.status(204).send()
      }
    }
  )

  app.post<{ Params: { id: string } }>(
    "/services/:id/restart",
    { schema: { params: ServiceIdParams, response: { 204: NoBody, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request, reply) => {
      const principal = principalOf(request)
      const lookup = await runOrFail(context, managedService(principal, request.params.id as ServiceId))
      if (lookup._tag === "missing") throw ServiceNotFound()
      if (lookup._tag === "denied") throw ManageDenied(lookup.tenantId)
      const service = lookup.service
      // The nodes audit "service restarted" themselves, each once its service runs again, so a 204 means it is kept.
      await runOrFail(
        context,
        serviceRestarterOf(context).restart({ serviceId: service.id, tenantId: service.tenantID, kind: service.kind, requestedBy: principal.login }),
        (error) =>
          error._tag === "ServiceNotRunning"
            ? new ApiError(409, "service not running", `no live node runs service ${service.id}; start it (a node with it in its deployment) to pair it`)
            : new ApiError(503, "service restart failed", `service ${service.id} could not be restarted; the node's log says why`)
      )
      return reply.status(204).send()
    }
  )
}
