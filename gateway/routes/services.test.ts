// GET /api/v1/services through the real route on the embedded stores: KUMA's paging and filters,
// and a user of one tenant never sees another tenant's service, whatever id or tenant they name.
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TenantId } from "../../model/Ids.ts"
import { ServiceId, type Service } from "../../model/Service.ts"
import { ServiceStore } from "../../storage/ServiceStore.ts"
import { embeddedGatewayRuntime, provisionUsers } from "../../test/support/gatewayUsers.ts"
import type { ApiContext } from "../ApiContext.ts"
import { buildApiServer } from "../ApiServer.ts"
import { provisionAdmin } from "../UserProvisioning.ts"

const Alpha = TenantId.make("alpha")
const Beta = TenantId.make("beta")
const tenants = [
  { id: TenantId.make("main"), name: "Main", main: true },
  { id: TenantId.make("shared"), name: "Shared", main: false },
  { id: Alpha, name: "Alpha", main: false },
  { id: Beta, name: "Beta", main: false }
]

const runtime = embeddedGatewayRuntime()
const context: ApiContext = { run: (effect) => runtime.runPromiseExit(effect), tenants, logInternal: () => {} }
const app = await buildApiServer(context)

const service = (id: string, tenantID: TenantId, name: string, kind: Service["kind"], paired: boolean, fqdn?: string): Service => ({
  id: ServiceId.make(id),
  tenantID,
  name,
  kind,
  paired,
  status: "green",
  createdAt: 1_700_000_000_000,
  updatedAt: 1_700_000_000_000,
  config: {},
  ...(fqdn !== undefined ? { fqdn } : {})
})

const get = async (token: string, query: string) => {
  const response = await app.inject({ method: "GET", url: `/api/v1/services${query}`, headers: { authorization: `Bearer ${token}` } })
  return { status: response.statusCode, body: response.json() as unknown }
}
const ids = (body: unknown) => (body as Array<{ id: string }>).map((item) => item.id)

beforeAll(async () => {
  await runtime.runPromise(provisionAdmin("admin-token"))
  await runtime.runPromise(
    provisionUsers([
      { login: "alpha-junior", token: "alpha-junior", roles: [["alpha", "junior-analyst"]] },
      { login: "beta-admin", token: "beta-admin", roles: [["beta", "tenant-administrator"]] }
    ])
  )
  const services = [
    service("a-collector", Alpha, "Alpha Syslog", "collector", true, "col1.alpha.example"),
    service("a-correlator", Alpha, "Alpha SOC", "correlator", false, "cor.alpha.example"),
    service("a-storage", Alpha, "alpha storage", "storage", true),
    service("b-collector", Beta, "Beta Syslog", "collector", true, "col1.beta.example"),
    // Bulk collectors of beta, to see a page end at 250.
    ...Array.from({ length: 255 }, (_, index) => service(`b-bulk-${String(index).padStart(3, "0")}`, Beta, `bulk ${String(index).padStart(3, "0")}`, "agent", false))
  ]
  await runtime.runPromise(Effect.flatMap(ServiceStore, (store) => Effect.forEach(services, (item) => store.save(item), { discard: true })))
})
afterAll(async () => {
  await app.close()
  await runtime.dispose()
})

describe("GET /api/v1/services", () => {
  it("lists only the services of the caller's tenants, with tenant names and RFC 3339 times", async () => {
    const result = await get("alpha-junior", "")
    expect(result.status).toBe(200)
    expect(ids(result.body).sort()).toEqual(["a-collector", "a-correlator", "a-storage"])
    const first = (result.body as Array<Record<string, unknown>>)[0]!
    expect(first.tenantName).toBe("Alpha")
    expect(first.createdAt).toBe("2023-11-14T22:13:20.000Z")
    expect(JSON.stringify(result.body)).not.toMatch(/beta|Beta/)
  })

  it("name and fqdn are case-insensitive regular expressions, kind and repeated id narrow, paired is true when present", async () => {
    expect(ids((await get("alpha-junior", "?name=^ALPHA%20S(y|t)")).body).sort()).toEqual(["a-collector", "a-storage"])
    expect(ids((await get("alpha-junior", "?fqdn=COL1")).body)).toEqual(["a-collector"])
    expect(ids((await get("alpha-junior", "?kind=correlator")).body)).toEqual(["a-correlator"])
    expect(ids((await get("alpha-junior", "?id=a-storage&id=a-correlator")).body).sort()).toEqual(["a-correlator", "a-storage"])
    expect(ids((await get("alpha-junior", "?paired")).body).sort()).toEqual(["a-collector", "a-storage"])
    expect(ids((await get("alpha-junior", "?paired=false")).body).sort()).toEqual(["a-collector", "a-storage"])
  })

  it("pages hold 250 services and count from 1", async () => {
    const first = await get("beta-admin", "?kind=agent")
    const second = await get("beta-admin", "?kind=agent&page=2")
    expect(ids(first.body).length).toBe(250)
    expect(ids(second.body)).toEqual(["b-bulk-250", "b-bulk-251", "b-bulk-252", "b-bulk-253", "b-bulk-254"])
    expect((await get("beta-admin", "?page=0")).status).toBe(400)
  })

  it("another tenant's service id or tenant reads exactly as an unknown one: an empty list", async () => {
    const foreignId = await get("alpha-junior", "?id=b-collector")
    const unknownId = await get("alpha-junior", "?id=no-such-service")
    expect(foreignId).toEqual({ status: 200, body: [] })
    expect(foreignId).toEqual(unknownId)
    const foreignTenant = await get("alpha-junior", "?tenantID=beta")
    const unknownTenant = await get("alpha-junior", "?tenantID=nope")
    expect(foreignTenant).toEqual({ status: 200, body: [] })
    expect(foreignTenant).toEqual(unknownTenant)
  })

  it("a general administrator sees every tenant's services and narrows by repeated tenantID", async () => {
    const both = await get("admin-token", "?name=syslog")
    expect(ids(both.body).sort()).toEqual(["a-collector", "b-collector"])
    expect(ids((await get("admin-token", "?name=syslog&tenantID=beta")).body)).toEqual(["b-collector"])
  })

  it("a bad regular expression is a 400 with the reason", async () => {
    const result = await get("alpha-junior", "?name=(")
    expect(result.status).toBe(400)
    expect(result.body).toMatchObject({ message: "invalid name pattern" })
  })
})
