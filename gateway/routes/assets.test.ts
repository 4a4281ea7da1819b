// Assets through the real routes on the embedded stores: search with KUMA's filters, import
// (identity by FQDN, else first IP; a known asset is updated), delete by ids, FQDNs or IPs, the
// audit events of each, and tenant isolation on every path.
import { Effect, Option } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { AssetId, type Asset } from "../../model/Asset.ts"
import { TenantId } from "../../model/Ids.ts"
import { AssetStore } from "../../storage/AssetStore.ts"
import { embeddedGatewayApp, provisionUsers } from "../../test/support/gatewayUsers.ts"
import { provisionAdmin } from "../UserProvisioning.ts"

const Alpha = TenantId.make("alpha")
const Beta = TenantId.make("beta")
const tenants = [
  { id: TenantId.make("main"), name: "Main", main: true },
  { id: TenantId.make("shared"), name: "Shared", main: false },
  { id: Alpha, name: "Alpha", main: false },
  { id: Beta, name: "Beta", main: false }
]

const { runtime, app } = await embeddedGatewayApp(tenants)

const BetaAssetId = AssetId.make("6f1f0d36-63a4-4c5e-9a55-0d7a4a1b2c3d")
const betaAsset: Asset = {
  id: BetaAssetId,
  tenantID: Beta,
  name: "beta-db",
  fqdn: "db.beta.example",
  ipAddresses: ["10.0.0.5"],
  macAddresses: ["AA:BB:CC:DD:EE:FF"],
  categories: [],
  createdAt: 1_700_000_000_000,
  updatedAt: 1_700_000_000_000
}

const call = async (token: string, method: "GET" | "POST", url: string, payload?: unknown) => {
  const response = await app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) })
  return { status: response.statusCode, body: response.body === "" ? undefined : (response.json() as unknown) }
}
const names = (body: unknown) => (body as Array<{ name: string }>).map((asset) => asset.name).sort()

/** The audit events (type 4) as the general administrator finds them with POST /events. */
const auditEvents = async () => {
  const now = Date.now()
  const result = await call("admin-token", "POST", "/events", {
    period: { from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 3_600_000).toISOString() },
    sql: "SELECT * FROM events WHERE Type = 4"
  })
  expect(result.status).toBe(200)
  return result.body as Array<{ Name?: string; Message?: string; TenantID?: string; SourceUserName?: string }>
}

const storedBeta = () => runtime.runPromise(Effect.flatMap(AssetStore, (store) => store.get(Beta, BetaAssetId)))

beforeAll(async () => {
  await runtime.runPromise(provisionAdmin("admin-token"))
  await runtime.runPromise(
    provisionUsers([
      { login: "alpha-admin", token: "alpha-admin", roles: [["alpha", "tenant-administrator"]] },
      { login: "alpha-junior", token: "alpha-junior", roles: [["alpha", "junior-analyst"]] },
      { login: "beta-admin", token: "beta-admin", roles: [["beta", "tenant-administrator"]] }
    ])
  )
  await runtime.runPromise(Effect.flatMap(AssetStore, (store) => store.save(betaAsset)))
})
afterAll(async () => {
  await app.close()
  await runtime.dispose()
})

describe("POST /api/v1/assets/import", () => {
  it("inserts new assets, updates known ones by FQDN (ignoring case) or else by first IP, and reports refused records by index", async () => {
    const first = await call("alpha-admin", "POST", "/assets/import", {
      tenantID: "alpha",
      assets: [
        { name: "web", fqdn: "web.alpha.example", ipAddresses: ["192.168.1.10"], macAddresses: ["00:11:22:33:44:55"], os: "Debian 12" },
        { name: "printer", ipAddresses: ["192.168.1.99", "10.9.9.9"] },
        { name: "ghost" }
      ]
    })
    expect(first.status).toBe(200)
    const inserted = (first.body as { insertedIDs: Record<string, string> }).insertedIDs
    expect(Object.keys(inserted).sort()).toEqual(["0", "1"])
    expect(first.body).toMatchObject({ updatedIDs: {}, errors: [{ index: 2, message: "an asset needs an fqdn or at least one IP address" }] })

    const second = await call("alpha-admin", "POST", "/assets/import", {
      tenantID: "alpha",
      assets: [
        { name: "web-renamed", fqdn: "WEB.Alpha.Example", ipAddresses: ["192.168.1.11"] },
        { name: "printer-2", ipAddresses: ["192.168.1.99"] },
        { name: "mail", fqdn: "mail.alpha.example" }
      ]
    })
    expect(second.status).toBe(200)
    const answer = second.body as { insertedIDs: Record<string, string>; updatedIDs: Record<string, string> }
    expect(answer.updatedIDs).toEqual({ "0": inserted["0"], "1": inserted["1"] })
    expect(Object.keys(answer.insertedIDs)).toEqual(["2"])

    const listed = await call("alpha-admin", "GET", "/assets")
    expect(names(listed.body)).toEqual(["mail", "printer-2", "web-renamed"])
  })

  it("a role without the permission is 403; a tenant without any role reads exactly as an unknown tenant", async () => {
    const denied = await call("alpha-junior", "POST", "/assets/import", { tenantID: "alpha", assets: [{ name: "x", fqdn: "x.example" }] })
    expect(denied.status).toBe(403)
    const foreign = await call("alpha-admin", "POST", "/assets/import", { tenantID: "beta", assets: [{ name: "x", fqdn: "db.beta.example" }] })
    const unknown = await call("alpha-admin", "POST", "/assets/import", { tenantID: "nope", assets: [{ name: "x", fqdn: "db.beta.example" }] })
    expect(foreign.status).toBe(404)
    expect(foreign).toEqual(unknown)
    expect(Option.getOrThrow(await storedBeta()).name).toBe("beta-db")
  })

  it("malformed addresses are 400s in KUMA's words; the shared tenant and an empty import are refused as KUMA does", async () => {
    expect(await call("alpha-admin", "POST", "/assets/import", { tenantID: "alpha", assets: [{ name: "x", ipAddresses: ["300.1.1.1"] }] })).toMatchObject({
      status: 400,
      body: { message: "invalid value", details: "assets[0].ipAddresses[0]" }
    })
    expect((await call("alpha-admin", "POST", "/assets/import", { tenantID: "alpha", assets: [{ name: "x", macAddresses: ["zz"] }] })).status).toBe(400)
    expect(await call("alpha-admin", "POST", "/assets/import", { tenantID: "shared", assets: [{ fqdn: "x.example" }] })).toMatchObject({ status: 400, body: { message: "import into shared tenant not allowed" } })
    expect(await call("alpha-admin", "POST", "/assets/import", { tenantID: "alpha", assets: [] })).toMatchObject({ status: 400, body: { message: "at least one asset required" } })
  })

  it("a record without a name takes its FQDN, else its first IP address; KUMA's os {name, version} is kept as one line", async () => {
    const imported = await call("alpha-admin", "POST", "/assets/import", {
      tenantID: "alpha",
      assets: [{ fqdn: "nameless.alpha.example", os: { name: "Windows", version: 10 } }, { ipAddresses: ["10.9.9.9"] }]
    })
    expect(imported.status).toBe(200)
    const listed = await call("alpha-admin", "GET", "/assets?tenantID=alpha&name=%5E(nameless%5C.alpha%5C.example%7C10%5C.9%5C.9%5C.9)%24")
    expect((listed.body as Array<{ name: string; os?: string }>).map(({ name, os }) => ({ name, os })).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: "10.9.9.9", os: undefined },
      { name: "nameless.alpha.example", os: "Windows 10" }
    ])
  })
})

describe("GET /api/v1/assets", () => {
  it("name, fqdn, ip and mac are case-insensitive regular expressions; id narrows; the caller's tenants only", async () => {
    expect(names((await call("alpha-junior", "GET", "/assets?name=^WEB")).body)).toEqual(["web-renamed"])
    expect(names((await call("alpha-junior", "GET", "/assets?fqdn=MAIL\\.")).body)).toEqual(["mail"])
    expect(names((await call("alpha-junior", "GET", "/assets?ip=^192\\.168\\.1\\.99$")).body)).toEqual(["printer-2"])
    const all = (await call("alpha-junior", "GET", "/assets")).body as Array<{ id: string; name: string; tenantID: string }>
    expect(all.every((asset) => asset.tenantID === "alpha")).toBe(true)
    const mail = all.find((asset) => asset.name === "mail")!
    expect(names((await call("alpha-junior", "GET", `/assets?id=${mail.id}`)).body)).toEqual(["mail"])
    expect(names((await call("beta-admin", "GET", "/assets?mac=aa:bb")).body)).toEqual(["beta-db"])
  })

  it("another tenant's asset id, name or tenant reads exactly as an unknown one: an empty list", async () => {
    const foreign = await call("alpha-junior", "GET", `/assets?id=${BetaAssetId}`)
    const unknown = await call("alpha-junior", "GET", "/assets?id=00000000-0000-4000-8000-000000000000")
    expect(foreign).toEqual({ status: 200, body: [] })
    expect(foreign).toEqual(unknown)
    expect(await call("alpha-junior", "GET", "/assets?tenantID=beta")).toEqual(await call("alpha-junior", "GET", "/assets?tenantID=nope"))
    expect(JSON.stringify((await call("alpha-junior", "GET", "/assets?name=beta")).body)).toBe("[]")
  })
})

describe("POST /api/v1/assets/delete", () => {
  it("deletes the tenant's assets by ids, FQDNs (ignoring case) or IP addresses", async () => {
    const imported = await call("alpha-admin", "POST", "/assets/import", {
      tenantID: "alpha",
      assets: [
        { name: "doomed-1", fqdn: "d1.alpha.example" },
        { name: "doomed-2", ipAddresses: ["172.16.0.2"] },
        { name: "doomed-3", fqdn: "d3.alpha.example" }
      ]
    })
    const ids = (imported.body as { insertedIDs: Record<string, string> }).insertedIDs
    expect((await call("alpha-admin", "POST", "/assets/delete", { tenantID: "alpha", ids: [ids["0"]] })).status).toBe(204)
    expect((await call("alpha-admin", "POST", "/assets/delete", { tenantID: "alpha", ipAddresses: ["172.16.0.2"] })).status).toBe(204)
    expect((await call("alpha-admin", "POST", "/assets/delete", { tenantID: "alpha", fqdns: ["D3.ALPHA.EXAMPLE"] })).status).toBe(204)
    expect(names((await call("alpha-admin", "GET", "/assets?name=doomed")).body)).toEqual([])
    expect((await call("alpha-admin", "POST", "/assets/delete", { tenantID: "alpha" })).status).toBe(400)
  })

  it("never reaches another tenant's asset: its id in the caller's tenant deletes nothing, its tenant reads as unknown", async () => {
    expect((await call("alpha-admin", "POST", "/assets/delete", { tenantID: "alpha", ids: [BetaAssetId], fqdns: ["db.beta.example"], ipAddresses: ["10.0.0.5"] })).status).toBe(204)
    const foreign = await call("alpha-admin", "POST", "/assets/delete", { tenantID: "beta", ids: [BetaAssetId] })
    const unknown = await call("alpha-admin", "POST", "/assets/delete", { tenantID: "nope", ids: [BetaAssetId] })
    expect(foreign.status).toBe(404)
    expect(foreign).toEqual(unknown)
    expect((await call("alpha-junior", "POST", "/assets/delete", { tenantID: "alpha", fqdns: ["mail.alpha.example"] })).status).toBe(403)
    expect(Option.isSome(await storedBeta())).toBe(true)
  })
})

describe("asset audit", () => {
  it("each created and deleted asset is a type 4 event of the main tenant that the general administrator finds with POST /events", async () => {
    const events = await auditEvents()
    const created = events.filter((event) => event.Name === "asset created")
    const deleted = events.filter((event) => event.Name === "asset deleted")
    expect(created.map((event) => event.Message)).toEqual(expect.arrayContaining(["asset web created by import", "asset mail created by import", "asset doomed-1 created by import"]))
    expect(deleted.map((event) => event.Message).sort()).toEqual(["asset doomed-1 deleted", "asset doomed-2 deleted", "asset doomed-3 deleted"])
    for (const event of [...created, ...deleted]) {
      expect(event.TenantID).toBe("main")
      expect(event.SourceUserName).toBe("alpha-admin")
    }
    // Refused requests left no trace.
    expect(events.some((event) => event.Message?.includes("beta-db"))).toBe(false)
  })

  it("a tenant user does not see the audit events, which belong to the main tenant", async () => {
    const now = Date.now()
    const result = await call("alpha-admin", "POST", "/events", {
      period: { from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 3_600_000).toISOString() },
      sql: "SELECT * FROM events WHERE Type = 4"
    })
    expect(result).toEqual({ status: 200, body: [] })
  })
})
