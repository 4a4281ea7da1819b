// /api/v1/settings through the real routes on the embedded stores: a tenant's settings read as
// the node's defaults until saved, PUT replaces them (administrators only) and is audited with
// the values before and after; another tenant answers as an unknown one.
import { Effect, Option } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TenantId } from "../../model/Ids.ts"
import { SettingsStore } from "../../storage/SettingsStore.ts"
import { embeddedGatewayApp, provisionUsers } from "../../test/support/gatewayUsers.ts"
import { provisionAdmin } from "../UserProvisioning.ts"

const Alpha = TenantId.make("alpha")
const Beta = TenantId.make("beta")
const tenants = [
  { id: TenantId.make("main"), name: "Main", main: true },
  { id: Alpha, name: "Alpha", main: false },
  { id: Beta, name: "Beta", main: false }
]

const { runtime, app } = await embeddedGatewayApp(tenants)

const request = async (token: string, method: "GET" | "PUT" | "POST", url: string, payload?: Record<string, unknown>) => {
  const response = await app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined ? { payload } : {}) })
  return { status: response.statusCode, body: response.body === "" ? undefined : (response.json() as unknown) }
}
const read = (token: string, tenantID: string) => request(token, "GET", `/settings?tenantID=${tenantID}`)
const put = (token: string, tenantID: string, enabled: boolean, days: number) => request(token, "PUT", "/settings", { tenantID, incidents: { autoLink: { enabled, days } } })
const stored = (tenantId: TenantId) => runtime.runPromise(Effect.flatMap(SettingsStore, (store) => store.get(tenantId)))

beforeAll(async () => {
  await runtime.runPromise(provisionAdmin("admin-token"))
  await runtime.runPromise(
    provisionUsers([
      { login: "alpha-junior", token: "alpha-junior", roles: [["alpha", "junior-analyst"]] },
      { login: "alpha-t2", token: "alpha-t2", roles: [["alpha", "tier-2-analyst"]] },
      { login: "alpha-admin", token: "alpha-admin", roles: [["alpha", "tenant-administrator"]] },
      { login: "beta-admin", token: "beta-admin", roles: [["beta", "tenant-administrator"]] }
    ])
  )
})
afterAll(async () => {
  await app.close()
  await runtime.dispose()
})

describe("GET and PUT /api/v1/settings", () => {
  it("a tenant that never saved settings reads the node's defaults (automatic linking on, 7 days), without updatedAt", async () => {
    expect(await read("alpha-junior", "alpha")).toEqual({ status: 200, body: { tenantID: "alpha", tenantName: "Alpha", incidents: { autoLink: { enabled: true, days: 7 } } } })
  })

  it("a tenant administrator replaces the settings and gets them back with 200; every user of the tenant then reads them", async () => {
    const saved = await put("alpha-admin", "alpha", false, 30)
    expect(saved.status).toBe(200)
    expect(saved.body).toMatchObject({ tenantID: "alpha", tenantName: "Alpha", incidents: { autoLink: { enabled: false, days: 30 } }, updatedBy: "alpha-admin" })
    expect((saved.body as { updatedAt: string }).updatedAt).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/)
    expect(await read("alpha-junior", "alpha")).toEqual(saved)
    expect(Option.getOrThrow(await stored(Alpha)).incidents).toEqual({ autoLink: { enabled: false, days: 30 } })
    // Another tenant keeps the defaults.
    expect((await read("beta-admin", "beta")).body).toEqual({ tenantID: "beta", tenantName: "Beta", incidents: { autoLink: { enabled: true, days: 7 } } })
  })

  it("changing settings needs settings.manage: analysts are 403 and nothing changes", async () => {
    expect(await put("alpha-t2", "alpha", true, 1)).toEqual({ status: 403, body: { message: "access denied", details: "your role in tenant alpha does not allow this" } })
    expect(Option.getOrThrow(await stored(Alpha)).incidents.autoLink.days).toBe(30)
  })

  it("another tenant answers exactly as an unknown one (404) for reading and writing, and its settings stay", async () => {
    const foreignRead = await read("alpha-admin", "beta")
    expect(foreignRead).toEqual({ status: 404, body: { message: "tenant not found", details: "" } })
    expect(await read("alpha-admin", "nowhere")).toEqual(foreignRead)
    const foreignWrite = await put("alpha-admin", "beta", false, 0)
    expect(foreignWrite).toEqual(foreignRead)
    expect(await put("alpha-admin", "nowhere", false, 0)).toEqual(foreignWrite)
    expect(Option.isNone(await stored(Beta))).toBe(true)
  })

  it("a missing tenantID, a window outside 0..3650 days, a fraction or an extra field is 400", async () => {
    expect((await request("alpha-admin", "GET", "/settings")).status).toBe(400)
    expect((await put("alpha-admin", "alpha", true, 3651)).status).toBe(400)
    expect((await put("alpha-admin", "alpha", true, -1)).status).toBe(400)
    expect((await put("alpha-admin", "alpha", true, 1.5)).status).toBe(400)
    expect((await request("alpha-admin", "PUT", "/settings", { tenantID: "alpha", incidents: { autoLink: { enabled: true, days: 1, extra: 1 } } })).status).toBe(400)
    expect((await request("alpha-admin", "PUT", "/settings", { tenantID: "alpha", incidents: { autoLink: { enabled: true } } })).status).toBe(400)
    expect(Option.getOrThrow(await stored(Alpha)).incidents.autoLink.days).toBe(30)
  })

  it("a general administrator sets any tenant's settings; settings updated is a type 4 event of the main tenant with the values before and after, invisible to tenant users", async () => {
    expect((await put("admin-token", "beta", true, 90)).status).toBe(200)
    const now = Date.now()
    const search = (token: string) =>
      request(token, "POST", "/events", { period: { from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 3_600_000).toISOString() }, sql: "SELECT * FROM events WHERE Type = 4" })
    const audit = ((await search("admin-token")).body as Array<Record<string, unknown>>).filter((event) => event.Name === "settings updated")
    const facts = audit.map((event) => {
      const extra = event.Extra as Record<string, string>
      return [event.SourceUserName, event.TenantID, event.DestinationNtDomain, JSON.parse(extra.before!), JSON.parse(extra.after!)]
    })
    expect(facts).toHaveLength(2)
    expect(facts).toContainEqual(["alpha-admin", "main", "alpha", { autoLink: { enabled: true, days: 7 } }, { autoLink: { enabled: false, days: 30 } }])
    expect(facts).toContainEqual(["admin", "main", "beta", { autoLink: { enabled: true, days: 7 } }, { autoLink: { enabled: true, days: 90 } }])
    for (const token of ["alpha-admin", "beta-admin"]) expect((await search(token)).body).toEqual([])
  })
})
