// GET /api/v1/services (SPEC §7): the collectors, correlators, storages and agents of the
// caller's tenants, with KUMA's filters, 250 per page.
import { Effect } from "effect"
import type { FastifyPluginAsync } from "fastify"
import type { Service, ServiceId } from "../../model/Service.ts"
import { ServiceStore } from "../../storage/ServiceStore.ts"
import { runOrFail, type ApiContext } from "../ApiContext.ts"
import { PageParameter, PageSize, TenantIdsParameter } from "../ListQuery.ts"
import { patternOf } from "../QueryPattern.ts"
import { ErrorBody } from "../ApiError.ts"
import { principalOf } from "../Auth.ts"
import { tenantsFor } from "../Principal.ts"

const ServiceQuerystring = {
  type: "object",
  properties: {
    page: PageParameter,
    id: { type: "array", items: { type: "string", maxLength: 64 } },
    tenantID: TenantIdsParameter,
    name: { type: "string", maxLength: 512 },
    fqdn: { type: "string", maxLength: 512 },
    kind: { type: "array", items: { type: "string", enum: ["collector", "correlator", "storage", "agent"] } },
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


const rfc3339 = (millis: number) => new Date(millis).toISOString()

export const servicesRoutes = (context: ApiContext): FastifyPluginAsync => async (app) => {
  const tenantNames = new Map(context.tenants.map((tenant) => [tenant.id as string, tenant.name]))

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
      return services.map((service) => ({
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
      }))
    }
  )
}
