// /api/v1/services through the real routes on the embedded stores: KUMA's paging and filters,
// creating and deleting service records (audited), restarting a running service through the
// restarter port, and a user of one tenant never sees or touches another tenant's service,
// whatever id or tenant they name.
import { Effect, Option } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TenantId } from "../../model/Ids.ts"
import { ServiceId, type Service } from "../../model/Service.ts"
import { ServiceStore } from "../../storage/ServiceStore.ts"
import { embeddedGatewayApp, provisionUsers } from "../../test/support/gatewayUsers.ts"
import { makeMemory as memoryRestarter } from "../ServiceRestarter.ts"
import { provisionAdmin } from "../UserProvisioning.ts"

const Alpha = TenantId.make("alpha")
const Beta = TenantId.make("beta")
const tenants = [
  { id: TenantId.make("main"), name: "Main", main: true },
  { id: TenantId.make("shared"), name: "Shared", main: false },
  { id: Alpha, name: "Alpha", main: false },
  { id: Beta, name: "Beta", main: false }
]

// a-collector and b-collector run on a node; a-correlator has a record but runs nowhere.
const restarter = memoryRestarter([
  { id: "a-collector", tenantID: Alpha, node: "node-1" },
  { id: "b-collector", tenantID: Beta, node: "node-1" }
])
const { runtime, app } = await embeddedGatewayApp(tenants, { serviceRestarter: restarter })

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
const send = async (token: string, method: "POST" | "DELETE", url: string, payload?: Record<string, unknown>) => {
  const response = await app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined ? { payload } : {}) })
  return { status: response.statusCode, body: response.body === "" ? undefined : (response.json() as unknown) }
}
const stored = (tenantId: TenantId, id: string) => runtime.runPromise(Effect.flatMap(ServiceStore, (store) => store.get(tenantId, ServiceId.make(id))))

/** The audit events (type 4) as a caller finds them with POST /events. */
const auditEvents = async (token: string) => {
  const now = Date.now()
  const result = await send(token, "POST", "/events", {
    period: { from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 3_600_000).toISOString() },
    sql: "SELECT * FROM events WHERE Type = 4"
  })
  expect(result.status).toBe(200)
  return result.body as Array<Record<string, unknown>>
}

const ids = (body: unknown) => (body as Array<{ id: string }>).map((item) => item.id)

beforeAll(async () => {
  await runtime.runPromise(provisionAdmin("admin-token"))
  await runtime.runPromise(
    provisionUsers([
      { login: "alpha-junior", token: "alpha-junior", roles: [["alpha", "junior-analyst"]] },
      { login: "alpha-t2", token: "alpha-t2", roles: [["alpha", "tier-2-analyst"]] },
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

describe("POST /api/v1/services and DELETE /api/v1/services/{id}", () => {
  let createdId = ""

  it("creates an unpaired, grey service record in the caller's tenant with an id of its own making and answers 201 with it", async () => {
    const result = await send("alpha-t2", "POST", "/services", { tenantID: "alpha", name: "Alpha Netflow", kind: "collector", fqdn: "netflow.alpha.example", config: { port: 2055 } })
    expect(result.status).toBe(201)
    const body = result.body as Record<string, unknown>
    expect(body).toMatchObject({ tenantID: "alpha", tenantName: "Alpha", name: "Alpha Netflow", kind: "collector", fqdn: "netflow.alpha.example", paired: false, status: "grey" })
    expect(body.createdAt).toBe(body.updatedAt)
    expect(body).not.toHaveProperty("config")
    createdId = body.id as string
    expect(createdId).toMatch(/^[0-9a-f-]{36}$/)
    expect(Option.getOrThrow(await stored(Alpha, createdId)).config).toEqual({ port: 2055 })
    expect(ids((await get("alpha-junior", "?name=netflow")).body)).toEqual([createdId])
  })

  it("creating needs services.manage in the tenant (403), another tenant answers as an unknown one (the same 404), and a bad kind or an extra field is 400", async () => {
    const record = { name: "probe", kind: "agent" }
    expect(await send("alpha-junior", "POST", "/services", { tenantID: "alpha", ...record })).toEqual({
      status: 403,
      body: { message: "access denied", details: "your role in tenant alpha does not allow managing services" }
    })
    const foreign = await send("alpha-t2", "POST", "/services", { tenantID: "beta", ...record })
    expect(foreign).toEqual({ status: 404, body: { message: "tenant not found", details: "" } })
    expect(await send("alpha-t2", "POST", "/services", { tenantID: "nowhere", ...record })).toEqual(foreign)
    expect((await send("alpha-t2", "POST", "/services", { tenantID: "alpha", name: "probe", kind: "router" })).status).toBe(400)
    expect((await send("alpha-t2", "POST", "/services", { tenantID: "alpha", ...record, id: "b-collector" })).status).toBe(400)
    expect(ids((await get("admin-token", "?name=^probe$")).body)).toEqual([])
  })

  it("another tenant's service id answers exactly as an unknown id (404) and stays; a role without services.manage is 403", async () => {
    const foreign = await send("alpha-t2", "DELETE", "/services/b-collector")
    expect(foreign).toEqual({ status: 404, body: { message: "service not found", details: "" } })
    expect(await send("alpha-t2", "DELETE", "/services/no-such-service")).toEqual(foreign)
    expect(Option.isSome(await stored(Beta, "b-collector"))).toBe(true)
    expect(await send("alpha-junior", "DELETE", "/services/a-collector")).toEqual({
      status: 403,
      body: { message: "access denied", details: "your role in tenant alpha does not allow managing services" }
    })
    expect(Option.isSome(await stored(Alpha, "a-collector"))).toBe(true)
    expect((await send("alpha-t2", "DELETE", "/services/bad%20id")).status).toBe(400)
  })

  it("deletes the caller's service with 204; deleting it again is 404", async () => {
    expect(await send("alpha-t2", "DELETE", `/services/${createdId}`)).toEqual({ status: 204, body: undefined })
    expect(Option.isNone(await stored(Alpha, createdId))).toBe(true)
    expect((await send("alpha-t2", "DELETE", `/services/${createdId}`)).status).toBe(404)
  })

  it("service created and service deleted are type 4 events of the main tenant found by the general administrator, invisible to tenant users", async () => {
    const audit = (await auditEvents("admin-token")).filter((event) => event.Name === "service created" || event.Name === "service deleted")
    const facts = audit.map((event) => [event.Name, event.SourceUserName, event.TenantID, event.DestinationNtDomain, (event.Extra as Record<string, string>).serviceID])
    expect(facts.sort()).toEqual([
      ["service created", "alpha-t2", "main", "alpha", createdId],
      ["service deleted", "alpha-t2", "main", "alpha", createdId]
    ])
    for (const token of ["alpha-t2", "beta-admin"]) expect(await auditEvents(token)).toEqual([])
  })
})

describe("POST /api/v1/services/{id}/restart", () => {
  it("restarts the caller's running service through the nodes that run it and answers 204, naming the caller for the audit", async () => {
    expect(await send("alpha-t2", "POST", "/services/a-collector/restart")).toEqual({ status: 204, body: undefined })
    expect(restarter.restarts).toEqual([{ serviceId: "a-collector", tenantId: "alpha", kind: "collector", requestedBy: "alpha-t2" }])
  })

  it("another tenant's service id answers exactly as an unknown id (404) and restarts nothing; a role without services.manage is 403", async () => {
    const before = restarter.restarts.length
    const foreign = await send("alpha-t2", "POST", "/services/b-collector/restart")
    expect(foreign).toEqual({ status: 404, body: { message: "service not found", details: "" } })
    expect(await send("alpha-t2", "POST", "/services/no-such-service/restart")).toEqual(foreign)
    expect(await send("alpha-junior", "POST", "/services/a-collector/restart")).toEqual({
      status: 403,
      body: { message: "access denied", details: "your role in tenant alpha does not allow managing services" }
    })
    expect((await send("alpha-t2", "POST", "/services/bad%20id/restart")).status).toBe(400)
    expect(restarter.restarts.length).toBe(before)
  })

  it("a service that no live node runs is a 409 that says so", async () => {
    expect(await send("alpha-t2", "POST", "/services/a-correlator/restart")).toEqual({
      status: 409,
      body: { message: "service not running", details: "no live node runs service a-correlator; start it (a node with it in its deployment) to pair it" }
    })
  })

  it("a gateway without a restarter answers 409 for every service it finds", async () => {
    const bare = await embeddedGatewayApp(tenants)
    try {
      await bare.runtime.runPromise(provisionAdmin("bare-admin"))
      await bare.runtime.runPromise(Effect.flatMap(ServiceStore, (store) => store.save(service("lonely", Alpha, "Lonely", "collector", true))))
      const response = await bare.app.inject({ method: "POST", url: "/api/v1/services/lonely/restart", headers: { authorization: "Bearer bare-admin" } })
      expect(response.statusCode).toBe(409)
      expect(response.json()).toMatchObject({ message: "service not running" })
    } finally {
      await bare.app.close()
      await bare.runtime.dispose()
    }
  })
})
