// GET /api/v1/tenants (SPEC §7): the tenants the caller holds a role in, from the node's tenant
// directory, with KUMA's filters (page, repeated id, name regex, main flag), 250 per page.
import type { FastifyPluginAsync } from "fastify"
import { pageOf } from "../../storage/StoreListing.ts"
import type { ApiContext } from "../ApiContext.ts"
import { PageParameter, PageSize } from "../ListQuery.ts"
import { patternOf } from "../QueryPattern.ts"
import { ErrorBody } from "../ApiError.ts"
import { principalOf } from "../Auth.ts"
import { tenantsFor } from "../Principal.ts"

const TenantsQuerystring = {
  type: "object",
  properties: {
    page: PageParameter,
    id: { type: "array", items: { type: "string", maxLength: 64 } },
    name: { type: "string", maxLength: 512 },
    main: { type: "string" }
  },
  additionalProperties: false
} as const

interface TenantsQuerystring {
  page: number
  id?: Array<string>
  name?: string
  main?: string
}

const TenantBody = {
  type: "object",
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    main: { type: "boolean" },
    description: { type: "string" }
  },
  required: ["id", "name", "main"]
} as const

export const tenantsRoutes = (context: ApiContext): FastifyPluginAsync => async (app) => {
  app.get<{ Querystring: TenantsQuerystring }>(
    "/tenants",
    { schema: { querystring: TenantsQuerystring, response: { 200: { type: "array", items: TenantBody }, "4xx": ErrorBody, "5xx": ErrorBody } } },
    async (request) => {
      const query = request.query
      const name = patternOf("name", query.name)
      // Only tenants the caller holds a role in; the directory decides order and names.
      const held = new Set<string>(tenantsFor(principalOf(request), "tenants.read", query.id ?? []))
      const mainOnly = query.main !== undefined
      const selected = context.tenants.filter(
        (tenant) => held.has(tenant.id) && (!mainOnly || tenant.main) && (name === undefined || name.test(tenant.name))
      )
      return pageOf(selected, query.page, PageSize).map((tenant) => ({ id: tenant.id, name: tenant.name, main: tenant.main }))
    }
  )
}
