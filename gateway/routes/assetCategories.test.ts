// /api/v1/assets/categories through the real routes on the embedded stores: KUMA's paging and
// filters, adding (under a parent of the same tenant) and deleting categories (409 while they have
// children), both audited; assets name categories of their own tenant only; a user of one tenant
// never sees or touches another tenant's category, whatever id or tenant they name.
import { Effect, Option } from "effect"
import { randomUUID } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { AssetCategoryId, type AssetCategory } from "../../model/AssetCategory.ts"
import { TenantId } from "../../model/Ids.ts"
import { AssetCategoryStore } from "../../storage/AssetCategoryStore.ts"
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

const request = async (token: string, method: "GET" | "POST" | "DELETE", url: string, payload?: Record<string, unknown>) => {
  const response = await app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined ? { payload } : {}) })
  return { status: response.statusCode, body: response.body === "" ? undefined : (response.json() as unknown) }
}
const list = async (token: string, query = "") => request(token, "GET", `/assets/categories${query}`)
const add = (token: string, payload: Record<string, unknown>) => request(token, "POST", "/assets/categories", payload)
const names = (body: unknown) => (body as Array<{ name: string }>).map((item) => item.name)
const stored = (tenantId: TenantId, id: string) => runtime.runPromise(Effect.flatMap(AssetCategoryStore, (store) => store.get(tenantId, AssetCategoryId.make(id))))

const category = (tenantID: TenantId, name: string, index: number): AssetCategory => ({
  id: AssetCategoryId.make(randomUUID()),
  tenantID,
  name,
  priority: "low",
  createdAt: 1_700_000_000_000 + index,
  updatedAt: 1_700_000_000_000 + index
})

const betaCategory = category(Beta, "Beta servers", 0)

beforeAll(async () => {
  await runtime.runPromise(provisionAdmin("admin-token"))
  await runtime.runPromise(
    provisionUsers([
      { login: "alpha-junior", token: "alpha-junior", roles: [["alpha", "junior-analyst"]] },
      { login: "alpha-t2", token: "alpha-t2", roles: [["alpha", "tier-2-analyst"]] },
      { login: "beta-admin", token: "beta-admin", roles: [["beta", "tenant-administrator"]] }
    ])
  )
  // Bulk categories of beta, to see a page end at 250.
  const seeded = [betaCategory, ...Array.from({ length: 255 }, (_, index) => category(Beta, `bulk ${String(index).padStart(3, "0")}`, index + 1))]
  await runtime.runPromise(Effect.flatMap(AssetCategoryStore, (store) => Effect.forEach(seeded, (item) => store.save(item), { discard: true })))
})
afterAll(async () => {
  await app.close()
  await runtime.dispose()
})

describe("POST and GET /api/v1/assets/categories", () => {
  let servers = ""

  it("adds a category to the caller's tenant with an id of its own making and answers 201; a child names its parent", async () => {
    const created = await add("alpha-t2", { tenantID: "alpha", name: "Servers", priority: "high" })
    expect(created.status).toBe(201)
    const body = created.body as Record<string, unknown>
    expect(body).toMatchObject({ tenantID: "alpha", tenantName: "Alpha", name: "Servers", priority: "high" })
    expect(body).not.toHaveProperty("parentID")
    expect(body.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/)
    servers = body.id as string
    const child = await add("alpha-t2", { tenantID: "alpha", name: "Domain controllers", priority: "medium", parentID: servers.toUpperCase() })
    expect(child.status).toBe(201)
    expect(child.body).toMatchObject({ name: "Domain controllers", parentID: servers })
    expect(Option.getOrThrow(await stored(Alpha, (child.body as { id: string }).id)).parentID).toBe(servers)
  })

  it("lists only the categories of the caller's tenants; name is a case-insensitive regular expression and repeated id narrows", async () => {
    const all = await list("alpha-junior")
    expect(all.status).toBe(200)
    expect(names(all.body)).toEqual(["Domain controllers", "Servers"])
    expect(JSON.stringify(all.body)).not.toMatch(/beta/i)
    expect(names((await list("alpha-junior", "?name=^SERV")).body)).toEqual(["Servers"])
    expect(names((await list("alpha-junior", `?id=${servers}&id=${betaCategory.id}`)).body)).toEqual(["Servers"])
    expect((await list("alpha-junior", "?name=(")).status).toBe(400)
  })

  it("pages hold 250 categories and count from 1; a general administrator narrows by repeated tenantID", async () => {
    expect(names((await list("beta-admin")).body)).toHaveLength(250)
    expect(names((await list("beta-admin", "?page=2")).body)).toEqual(["bulk 249", "bulk 250", "bulk 251", "bulk 252", "bulk 253", "bulk 254"])
    expect((await list("beta-admin", "?page=0")).status).toBe(400)
    expect(names((await list("admin-token", "?name=servers&tenantID=alpha&tenantID=beta")).body)).toEqual(["Beta servers", "Servers"])
  })

  it("another tenant's category id or tenant reads exactly as an unknown one", async () => {
    const foreignId = await list("alpha-junior", `?id=${betaCategory.id}`)
    expect(foreignId).toEqual({ status: 200, body: [] })
    expect(await list("alpha-junior", `?id=${randomUUID()}`)).toEqual(foreignId)
    expect(await list("alpha-junior", "?tenantID=beta")).toEqual(await list("alpha-junior", "?tenantID=nope"))
  })

  it("adding needs assets.manage (403); another tenant, or a parent of another tenant, answers as an unknown one; a duplicate name under the same parent is 409", async () => {
    expect(await add("alpha-junior", { tenantID: "alpha", name: "Printers", priority: "low" })).toEqual({
      status: 403,
      body: { message: "access denied", details: "your role in tenant alpha does not allow managing assets" }
    })
    const foreignTenant = await add("alpha-t2", { tenantID: "beta", name: "Printers", priority: "low" })
    expect(foreignTenant).toEqual({ status: 404, body: { message: "tenant not found", details: "" } })
    expect(await add("alpha-t2", { tenantID: "nowhere", name: "Printers", priority: "low" })).toEqual(foreignTenant)
    const foreignParent = await add("alpha-t2", { tenantID: "alpha", name: "Printers", priority: "low", parentID: betaCategory.id })
    expect(foreignParent).toEqual({ status: 404, body: { message: "parent asset category not found", details: "" } })
    expect(await add("alpha-t2", { tenantID: "alpha", name: "Printers", priority: "low", parentID: randomUUID() })).toEqual(foreignParent)
    expect((await add("alpha-t2", { tenantID: "alpha", name: "servers", priority: "low" })).status).toBe(409)
    // The same name under another parent is another category.
    expect((await add("alpha-t2", { tenantID: "alpha", name: "servers", priority: "low", parentID: servers })).status).toBe(201)
    expect((await add("alpha-t2", { tenantID: "alpha", name: "x", priority: "critical" })).status).toBe(400)
    expect((await add("alpha-t2", { tenantID: "alpha", name: "x", priority: "low", id: randomUUID() })).status).toBe(400)
  })
})

describe("DELETE /api/v1/assets/categories/{id} and assets naming categories", () => {
  it("assets import only categories of their own tenant: another tenant's category id is refused as an unknown one", async () => {
    const parent = (await add("alpha-t2", { tenantID: "alpha", name: "Workstations", priority: "low" })).body as { id: string }
    const imported = await request("alpha-t2", "POST", "/assets/import", {
      tenantID: "alpha",
      assets: [
        { name: "ws-1", fqdn: "ws-1.alpha.example", categories: [parent.id.toUpperCase()] },
        { name: "ws-2", fqdn: "ws-2.alpha.example", categories: [betaCategory.id] },
        { name: "ws-3", fqdn: "ws-3.alpha.example", categories: [randomUUID()] }
      ]
    })
    expect(imported.status).toBe(200)
    const result = imported.body as { insertedIDs: Record<string, string>; errors: Array<{ index: number; message: string }> }
    expect(Object.keys(result.insertedIDs)).toEqual(["0"])
    expect(result.errors).toEqual([
      { index: 1, message: "unknown asset category" },
      { index: 2, message: "unknown asset category" }
    ])
    const assets = (await request("alpha-t2", "GET", "/assets?name=^ws-")).body as Array<{ name: string; categories: Array<string> }>
    expect(assets.map((asset) => [asset.name, asset.categories])).toEqual([["ws-1", [parent.id]]])
    // Deleting the category takes it off the asset.
    expect(await request("alpha-t2", "DELETE", `/assets/categories/${parent.id}`)).toEqual({ status: 204, body: undefined })
    const after = (await request("alpha-t2", "GET", "/assets?name=^ws-1$")).body as Array<{ categories: Array<string> }>
    expect(after[0]!.categories).toEqual([])
  })

  it("refuses (409) to delete a category with child categories, and deletes it once they are gone", async () => {
    const [servers] = ((await list("alpha-t2", "?name=^servers$")).body as Array<{ id: string; name: string; parentID?: string }>).filter((item) => item.parentID === undefined)
    const children = ((await list("alpha-t2")).body as Array<{ id: string; parentID?: string }>).filter((item) => item.parentID === servers!.id)
    expect(children).toHaveLength(2)
    expect(await request("alpha-t2", "DELETE", `/assets/categories/${servers!.id}`)).toEqual({
      status: 409,
      body: { message: "asset category has child categories", details: "delete its child categories first" }
    })
    expect(Option.isSome(await stored(Alpha, servers!.id))).toBe(true)
    for (const child of children) expect((await request("alpha-t2", "DELETE", `/assets/categories/${child.id}`)).status).toBe(204)
    expect((await request("alpha-t2", "DELETE", `/assets/categories/${servers!.id}`)).status).toBe(204)
    expect((await request("alpha-t2", "DELETE", `/assets/categories/${servers!.id}`)).status).toBe(404)
    expect((await list("alpha-t2")).body).toEqual([])
  })

  it("another tenant's category id answers exactly as an unknown id (404) and stays; a role without assets.manage is 403", async () => {
    const foreign = await request("alpha-t2", "DELETE", `/assets/categories/${betaCategory.id}`)
    expect(foreign).toEqual({ status: 404, body: { message: "asset category not found", details: "" } })
    expect(await request("alpha-t2", "DELETE", `/assets/categories/${randomUUID()}`)).toEqual(foreign)
    expect(Option.isSome(await stored(Beta, betaCategory.id))).toBe(true)
    const own = (await add("alpha-t2", { tenantID: "alpha", name: "Kept", priority: "low" })).body as { id: string }
    expect(await request("alpha-junior", "DELETE", `/assets/categories/${own.id}`)).toEqual({
      status: 403,
      body: { message: "access denied", details: "your role in tenant alpha does not allow managing assets" }
    })
    expect(Option.isSome(await stored(Alpha, own.id))).toBe(true)
    expect((await request("alpha-t2", "DELETE", "/assets/categories/not-a-uuid")).status).toBe(400)
  })

  it("asset category added and deleted are type 4 events of the main tenant found by the general administrator, invisible to tenant users", async () => {
    const now = Date.now()
    const search = (token: string) =>
      request(token, "POST", "/events", { period: { from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 3_600_000).toISOString() }, sql: "SELECT * FROM events WHERE Type = 4" })
    const audit = ((await search("admin-token")).body as Array<Record<string, unknown>>).filter((event) => String(event.Name).startsWith("asset category"))
    const facts = audit.map((event) => [event.Name, event.SourceUserName, event.TenantID, event.DestinationNtDomain, (event.Extra as Record<string, string>).name])
    expect(facts).toContainEqual(["asset category added", "alpha-t2", "main", "alpha", "Servers"])
    expect(facts).toContainEqual(["asset category deleted", "alpha-t2", "main", "alpha", "Servers"])
    expect(facts.filter(([name]) => name === "asset category added")).toHaveLength(5)
    expect(facts.filter(([name]) => name === "asset category deleted")).toHaveLength(4)
    for (const token of ["alpha-t2", "beta-admin"]) expect((await search(token)).body).toEqual([])
  })
})
