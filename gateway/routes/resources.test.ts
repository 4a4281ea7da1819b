// Resources through the real routes on the embedded stores: search (shared tenant readable by
// all), export to a password-encrypted file, download, upload, table of contents, import with
// per-resource actions and 409 conflicts, deletion, the audit events, and tenant isolation on
// every path.
import { Effect, Option } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TenantId } from "../../model/Ids.ts"
import { ResourceId, type Resource, type ResourceKind } from "../../model/Resource.ts"
import { UserId } from "../../model/User.ts"
import { ResourceStore } from "../../storage/ResourceStore.ts"
import { embeddedGatewayApp, provisionUsers } from "../../test/support/gatewayUsers.ts"
import { openArchive, sealArchive } from "../ResourceArchive.ts"
import { provisionAdmin } from "../UserProvisioning.ts"

const Alpha = TenantId.make("alpha")
const Beta = TenantId.make("beta")
const Shared = TenantId.make("shared")
const tenants = [
  { id: TenantId.make("main"), name: "Main", main: true },
  { id: Shared, name: "Shared", main: false },
  { id: Alpha, name: "Alpha", main: false },
  { id: Beta, name: "Beta", main: false }
]

const { runtime, app } = await embeddedGatewayApp(tenants)

const Author = UserId.make("11111111-1111-4111-8111-111111111111")
const Other = UserId.make("22222222-2222-4222-8222-222222222222")
const AlphaRule = ResourceId.make("a0000000-0000-4000-8000-000000000001")
const AlphaCorrelator = ResourceId.make("a0000000-0000-4000-8000-000000000002")
const BetaRule = ResourceId.make("b0000000-0000-4000-8000-000000000001")
const SharedRule = ResourceId.make("c0000000-0000-4000-8000-000000000001")
const Unknown = "d0000000-0000-4000-8000-000000000009"

const resource = (id: ResourceId, tenantID: TenantId, kind: ResourceKind, name: string, userID: UserId, body: unknown): Resource => ({
  id,
  tenantID,
  kind,
  name,
  userID,
  version: 1,
  createdAt: 1_700_000_000_000,
  updatedAt: 1_700_000_000_000,
  body
})

type Reply = { status: number; body: unknown; raw: Buffer; type: string | undefined }
const call = async (token: string, method: "GET" | "POST" | "DELETE", url: string, payload?: unknown, contentType?: string): Promise<Reply> => {
  const response = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${token}`, ...(contentType !== undefined ? { "content-type": contentType } : {}) },
    ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {})
  })
  const type = response.headers["content-type"] as string | undefined
  return { status: response.statusCode, body: type?.startsWith("application/json") ? (response.json() as unknown) : undefined, raw: response.rawPayload, type }
}
const ids = (body: unknown) => (body as Array<{ id: string }>).map((item) => item.id).sort()
const stored = (tenantId: TenantId, id: ResourceId) => runtime.runPromise(Effect.flatMap(ResourceStore, (store) => store.get([tenantId], id)))

const exportFile = async (token: string, tenantID: string, resourceIds: ReadonlyArray<string>, password: string) => {
  const result = await call(token, "POST", "/resources/export", { ids: resourceIds, password, tenantID })
  expect(result.status).toBe(200)
  return (result.body as { fileID: string }).fileID
}

beforeAll(async () => {
  await runtime.runPromise(provisionAdmin("admin-token"))
  await runtime.runPromise(
    provisionUsers([
      { login: "alpha-t2", token: "alpha-t2", roles: [["alpha", "tier-2-analyst"]] },
      { login: "alpha-junior", token: "alpha-junior", roles: [["alpha", "junior-analyst"]] },
      { login: "beta-admin", token: "beta-admin", roles: [["beta", "tenant-administrator"]] }
    ])
  )
  const resources = [
    resource(AlphaRule, Alpha, "correlationRule", "Brute force", Author, { selectors: [{ threshold: 5 }] }),
    resource(AlphaCorrelator, Alpha, "correlator", "Alpha SOC", Other, { rules: [AlphaRule] }),
    resource(BetaRule, Beta, "correlationRule", "Beta secret rule", Author, { secret: "beta only" }),
    resource(SharedRule, Shared, "correlationRule", "Shared port scan", Author, { selectors: [] })
  ]
  await runtime.runPromise(Effect.flatMap(ResourceStore, (store) => Effect.forEach(resources, (item) => store.save(item), { discard: true })))
})
afterAll(async () => {
  await app.close()
  await runtime.dispose()
})

describe("GET /api/v1/resources", () => {
  it("lists the caller's tenants' resources and the shared tenant's, never another tenant's", async () => {
    const result = await call("alpha-junior", "GET", "/resources")
    expect(result.status).toBe(200)
    expect(ids(result.body)).toEqual([AlphaRule, AlphaCorrelator, SharedRule].sort())
    expect(JSON.stringify(result.body)).not.toMatch(/[Bb]eta/)
    expect(ids((await call("beta-admin", "GET", "/resources")).body)).toEqual([BetaRule, SharedRule].sort())
  })

  it("kind, name (case-insensitive regular expression), userID, id and tenantID narrow the list", async () => {
    expect(ids((await call("alpha-junior", "GET", "/resources?kind=correlator")).body)).toEqual([AlphaCorrelator])
    expect(ids((await call("alpha-junior", "GET", "/resources?name=^BRUTE")).body)).toEqual([AlphaRule])
    expect(ids((await call("alpha-junior", "GET", `/resources?userID=${Other}`)).body)).toEqual([AlphaCorrelator])
    expect(ids((await call("alpha-junior", "GET", `/resources?id=${AlphaRule}&id=${SharedRule}`)).body)).toEqual([AlphaRule, SharedRule].sort())
    expect(ids((await call("alpha-junior", "GET", "/resources?tenantID=shared")).body)).toEqual([SharedRule])
  })

  it("another tenant's resource id or tenant reads exactly as an unknown one: an empty list", async () => {
    const foreign = await call("alpha-junior", "GET", `/resources?id=${BetaRule}`)
    const unknown = await call("alpha-junior", "GET", `/resources?id=${Unknown}`)
    expect(foreign.body).toEqual([])
    expect(foreign.body).toEqual(unknown.body)
    expect((await call("alpha-junior", "GET", "/resources?tenantID=beta")).body).toEqual((await call("alpha-junior", "GET", "/resources?tenantID=nope")).body)
  })
})

describe("export and download", () => {
  it("exports the chosen resources to a file encrypted with the password, downloadable as bytes by the exporter", async () => {
    const fileID = await exportFile("alpha-t2", "alpha", [AlphaRule, AlphaCorrelator], "correct horse")
    const download = await call("alpha-t2", "GET", `/resources/download/${fileID}`)
    expect(download.status).toBe(200)
    expect(download.type).toBe("application/octet-stream")
    expect(download.raw.subarray(0, 8).toString("latin1")).toBe("CORVUSRF")
    // The bytes hide the resources; the password opens them.
    expect(download.raw.toString("latin1")).not.toContain("Brute force")
    const contents = await openArchive(new Uint8Array(download.raw), "correct horse")
    expect(contents.resources.map((item) => [item.id, item.name, item.body])).toEqual([
      [AlphaRule, "Brute force", { selectors: [{ threshold: 5 }] }],
      [AlphaCorrelator, "Alpha SOC", { rules: [AlphaRule] }]
    ])
  })

  it("another tenant's resource id is named as not found exactly like an unknown id, and nothing is exported", async () => {
    const foreign = await call("alpha-t2", "POST", "/resources/export", { ids: [BetaRule], password: "p", tenantID: "alpha" })
    const unknown = await call("alpha-t2", "POST", "/resources/export", { ids: [Unknown], password: "p", tenantID: "alpha" })
    expect(foreign.status).toBe(404)
    expect(foreign.body).toEqual({ message: "resource not found", details: BetaRule })
    expect(unknown.body).toEqual({ message: "resource not found", details: Unknown })
  })

  it("exporting from a tenant without a role reads as an unknown tenant; a role without the permission is 403; shared resources are exportable by anyone who may move resources", async () => {
    const foreign = await call("alpha-t2", "POST", "/resources/export", { ids: [BetaRule], password: "p", tenantID: "beta" })
    const unknown = await call("alpha-t2", "POST", "/resources/export", { ids: [BetaRule], password: "p", tenantID: "nope" })
    expect(foreign.status).toBe(404)
    expect(foreign.body).toEqual(unknown.body)
    expect((await call("alpha-junior", "POST", "/resources/export", { ids: [AlphaRule], password: "p", tenantID: "alpha" })).status).toBe(403)
    expect((await call("alpha-junior", "POST", "/resources/export", { ids: [SharedRule], password: "p", tenantID: "shared" })).status).toBe(403)
    await exportFile("alpha-t2", "shared", [SharedRule], "p")
  })

  it("another user's file, of another tenant, reads exactly as an unknown file", async () => {
    const fileID = await exportFile("alpha-t2", "alpha", [AlphaRule], "p")
    const foreign = await call("beta-admin", "GET", `/resources/download/${fileID}`)
    const unknown = await call("beta-admin", "GET", `/resources/download/${Unknown}`)
    expect(foreign.status).toBe(404)
    expect(foreign.body).toEqual(unknown.body)
    const toc = await call("beta-admin", "POST", "/resources/toc", { fileID, password: "p" })
    expect(toc.status).toBe(404)
    expect(toc.body).toEqual((await call("beta-admin", "POST", "/resources/toc", { fileID: Unknown, password: "p" })).body)
    const imported = await call("beta-admin", "POST", "/resources/import", { fileID, password: "p", tenantID: "beta", actions: { [AlphaRule]: 1 } })
    expect(imported.status).toBe(404)
    expect(Option.isNone(await stored(Beta, AlphaRule))).toBe(true)
  })
})

describe("upload, table of contents and import", () => {
  it("a wrong password or a damaged file is a 400 with a clear message, never a 500", async () => {
    const fileID = await exportFile("alpha-t2", "alpha", [AlphaRule], "right")
    const wrong = await call("alpha-t2", "POST", "/resources/toc", { fileID, password: "wrong" })
    expect(wrong.status).toBe(400)
    expect(wrong.body).toMatchObject({ message: "wrong password or damaged file" })
    const bytes = (await call("alpha-t2", "GET", `/resources/download/${fileID}`)).raw
    const damaged = Buffer.from(bytes)
    damaged[damaged.length - 20] = damaged[damaged.length - 20]! ^ 1
    const uploaded = await call("alpha-t2", "POST", "/resources/upload", damaged, "application/octet-stream")
    expect(uploaded.status).toBe(200)
    const toc = await call("alpha-t2", "POST", "/resources/toc", { fileID: (uploaded.body as { id: string }).id, password: "right" })
    expect(toc.status).toBe(400)
    expect(toc.body).toMatchObject({ message: "wrong password or damaged file" })
    const garbage = await call("alpha-t2", "POST", "/resources/upload", Buffer.from("definitely not a resource file"), "application/octet-stream")
    expect(garbage.status).toBe(400)
    expect(garbage.body).toMatchObject({ message: "not a resource file" })
  })

  it("the table of contents lists each resource with whether it conflicts with one in the tenant compared with", async () => {
    const fileID = await exportFile("alpha-t2", "alpha", [AlphaRule, AlphaCorrelator], "p")
    const toc = await call("alpha-t2", "POST", "/resources/toc", { fileID, password: "p" })
    expect(toc.status).toBe(200)
    expect(toc.body).toEqual([
      { id: AlphaRule, kind: "correlationRule", name: "Brute force", conflict: true },
      { id: AlphaCorrelator, kind: "correlator", name: "Alpha SOC", conflict: true }
    ])
    expect((await call("alpha-t2", "POST", "/resources/toc", { fileID, password: "p", tenantID: "beta" })).status).toBe(404)
  })

  it("import answers 409 with the conflicting ids (KUMA's `conflicts`) when an existing resource has action 1, writing nothing; action 2 replaces it", async () => {
    const fileID = await exportFile("alpha-t2", "alpha", [AlphaRule, AlphaCorrelator], "p")
    const conflict = await call("alpha-t2", "POST", "/resources/import", { fileID, password: "p", tenantID: "alpha", actions: { [AlphaRule]: 1, [AlphaCorrelator]: 1 } })
    expect(conflict.status).toBe(409)
    expect(conflict.body).toEqual({ message: "resources already exist in the tenant", details: [AlphaRule, AlphaCorrelator].join(","), conflicts: [AlphaRule, AlphaCorrelator] })
    expect(Option.getOrThrow(await stored(Alpha, AlphaRule)).version).toBe(1)
    const replaced = await call("alpha-t2", "POST", "/resources/import", { fileID, password: "p", tenantID: "alpha", actions: { [AlphaRule]: 2, [AlphaCorrelator]: 0 } })
    expect(replaced.status).toBe(204)
    expect(Option.getOrThrow(await stored(Alpha, AlphaRule)).version).toBe(2)
    expect(Option.getOrThrow(await stored(Alpha, AlphaCorrelator)).version).toBe(1)
    expect((await call("alpha-t2", "POST", "/resources/import", { fileID, password: "p", tenantID: "alpha", actions: { [Unknown]: 1 } })).status).toBe(400)
  })

  it("moves resources to another tenant by download, upload and import: the import target owns them and the source keeps its own", async () => {
    const fileID = await exportFile("alpha-t2", "alpha", [AlphaRule], "move me")
    const bytes = (await call("alpha-t2", "GET", `/resources/download/${fileID}`)).raw
    const uploaded = await call("beta-admin", "POST", "/resources/upload", bytes, "application/octet-stream")
    expect(uploaded.status).toBe(200)
    const uploadId = (uploaded.body as { id: string }).id
    expect((await call("beta-admin", "POST", "/resources/toc", { fileID: uploadId, password: "move me", tenantID: "beta" })).body).toEqual([
      { id: AlphaRule, kind: "correlationRule", name: "Brute force", conflict: false }
    ])
    // The uploader's file is theirs alone.
    expect((await call("alpha-t2", "POST", "/resources/toc", { fileID: uploadId, password: "move me" })).status).toBe(404)
    const imported = await call("beta-admin", "POST", "/resources/import", { fileID: uploadId, password: "move me", tenantID: "beta", actions: { [AlphaRule]: 1 } })
    expect(imported.status).toBe(204)
    const moved = Option.getOrThrow(await stored(Beta, AlphaRule))
    expect(moved.tenantID).toBe("beta")
    expect(moved.body).toEqual({ selectors: [{ threshold: 5 }] })
    expect(Option.getOrThrow(await stored(Alpha, AlphaRule)).tenantID).toBe("alpha")
    expect(ids((await call("beta-admin", "GET", "/resources?kind=correlationRule")).body)).toEqual([AlphaRule, BetaRule, SharedRule].sort())
  })

  it("importing into a tenant without a role reads as an unknown tenant; into the shared tenant without the permission is 403", async () => {
    const fileID = await exportFile("alpha-t2", "alpha", [AlphaRule], "p")
    const foreign = await call("alpha-t2", "POST", "/resources/import", { fileID, password: "p", tenantID: "beta", actions: { [AlphaRule]: 2 } })
    const unknown = await call("alpha-t2", "POST", "/resources/import", { fileID, password: "p", tenantID: "nope", actions: { [AlphaRule]: 2 } })
    expect(foreign.status).toBe(404)
    expect(foreign.body).toEqual(unknown.body)
    expect((await call("alpha-t2", "POST", "/resources/import", { fileID, password: "p", tenantID: "shared", actions: { [AlphaRule]: 1 } })).status).toBe(403)
    expect(Option.isNone(await stored(Shared, AlphaRule))).toBe(true)
  })

  it("a file sealed with another cost or layout version is refused as a client error", async () => {
    const sealed = await sealArchive({ format: "corvus-resources", exportedAt: 0, resources: [] }, "p", { log2N: 10, r: 8, p: 1 })
    expect((await openArchive(sealed, "p")).resources).toEqual([])
    const future = Buffer.from(sealed)
    future[8] = 2
    const uploaded = await call("alpha-t2", "POST", "/resources/upload", future, "application/octet-stream")
    const toc = await call("alpha-t2", "POST", "/resources/toc", { fileID: (uploaded.body as { id: string }).id, password: "p" })
    expect(toc.status).toBe(400)
    expect(toc.body).toMatchObject({ message: "unsupported resource file version" })
  })
})

describe("resource audit", () => {
  it("resources added and updated by import are type 4 events of the main tenant found by the general administrator", async () => {
    const now = Date.now()
    const result = await call("admin-token", "POST", "/events", {
      period: { from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 3_600_000).toISOString() },
      sql: "SELECT * FROM events WHERE Type = 4"
    })
    expect(result.status).toBe(200)
    const events = result.body as Array<{ Name?: string; Message?: string; TenantID?: string; SourceUserName?: string }>
    const updated = events.filter((event) => event.Name === "resource updated")
    const added = events.filter((event) => event.Name === "resource added")
    expect(updated.map((event) => [event.SourceUserName, event.Message])).toEqual([["alpha-t2", "correlationRule resource Brute force replaced by import"]])
    expect(added.map((event) => [event.SourceUserName, event.Message])).toEqual([["beta-admin", "correlationRule resource Brute force added by import"]])
    for (const event of [...updated, ...added]) expect(event.TenantID).toBe("main")
  })
})

describe("DELETE /api/v1/resources/{id}", () => {
  const Doomed = ResourceId.make("e0000000-0000-4000-8000-000000000001")
  const SharedDoomed = ResourceId.make("e0000000-0000-4000-8000-000000000002")
  const Twin = ResourceId.make("e0000000-0000-4000-8000-000000000003")
  const NotFound = { status: 404, body: { message: "resource not found", details: "" } }
  const remove = async (token: string, url: string) => {
    const result = await call(token, "DELETE", url)
    return { status: result.status, body: result.body }
  }

  beforeAll(async () => {
    const resources = [
      resource(Doomed, Alpha, "filter", "Alpha noise filter", Author, {}),
      resource(SharedDoomed, Shared, "dictionary", "Shared old dictionary", Author, {}),
      // The same id in two tenants alpha-t2 sees.
      resource(Twin, Alpha, "filter", "Alpha twin", Author, {}),
      resource(Twin, Shared, "filter", "Shared twin", Author, {})
    ]
    await runtime.runPromise(Effect.flatMap(ResourceStore, (store) => Effect.forEach(resources, (item) => store.save(item), { discard: true })))
  })

  it("another tenant's resource id, or naming another tenant, answers exactly as an unknown one (404) and the resource stays", async () => {
    const foreign = await remove("alpha-t2", `/resources/${BetaRule}`)
    expect(foreign).toEqual(NotFound)
    expect(await remove("alpha-t2", `/resources/${Unknown}`)).toEqual(foreign)
    expect(await remove("alpha-t2", `/resources/${BetaRule}?tenantID=beta`)).toEqual(foreign)
    expect(await remove("alpha-t2", `/resources/${BetaRule}?tenantID=nowhere`)).toEqual(foreign)
    expect(await remove("alpha-t2", `/resources/${Doomed}?tenantID=beta`)).toEqual(foreign)
    expect(Option.isSome(await stored(Beta, BetaRule))).toBe(true)
    expect((await remove("alpha-t2", "/resources/not-a-uuid")).status).toBe(400)
  })

  it("a visible resource without resources.manage in its tenant is 403: a junior analyst in its own tenant, a tenant's analyst in the shared tenant", async () => {
    expect(await remove("alpha-junior", `/resources/${Doomed}`)).toEqual({
      status: 403,
      body: { message: "access denied", details: "your role in tenant alpha does not allow deleting resources" }
    })
    expect(await remove("alpha-t2", `/resources/${SharedDoomed}`)).toEqual({
      status: 403,
      body: { message: "access denied", details: "your role in tenant shared does not allow deleting resources" }
    })
    expect(Option.isSome(await stored(Alpha, Doomed))).toBe(true)
    expect(Option.isSome(await stored(Shared, SharedDoomed))).toBe(true)
  })

  it("deletes with 204 where the caller may manage resources, shared ones by the general administrator; a second delete is 404", async () => {
    expect(await remove("alpha-t2", `/resources/${Doomed}`)).toEqual({ status: 204, body: undefined })
    expect(Option.isNone(await stored(Alpha, Doomed))).toBe(true)
    expect(await remove("alpha-t2", `/resources/${Doomed}`)).toEqual(NotFound)
    expect(await remove("admin-token", `/resources/${SharedDoomed}`)).toEqual({ status: 204, body: undefined })
    expect(Option.isNone(await stored(Shared, SharedDoomed))).toBe(true)
  })

  it("an id held by two tenants the caller sees is 409 naming them until tenantID says which", async () => {
    expect(await remove("alpha-t2", `/resources/${Twin}`)).toEqual({
      status: 409,
      body: { message: "the id names resources of several tenants", details: "name one of them with tenantID: alpha,shared" }
    })
    expect(await remove("alpha-t2", `/resources/${Twin}?tenantID=alpha`)).toEqual({ status: 204, body: undefined })
    expect(Option.isNone(await stored(Alpha, Twin))).toBe(true)
    expect(Option.isSome(await stored(Shared, Twin))).toBe(true)
  })

  it("resource deleted is a type 4 event of the main tenant found by the general administrator, invisible to tenant users", async () => {
    const period = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() }
    const search = (token: string) => call(token, "POST", "/events", { period, sql: "SELECT * FROM events WHERE Type = 4" })
    const admin = await search("admin-token")
    expect(admin.status).toBe(200)
    const deleted = (admin.body as Array<Record<string, unknown>>).filter((event) => event.Name === "resource deleted")
    const facts = deleted.map((event) => [event.SourceUserName, event.TenantID, event.DestinationNtDomain, (event.Extra as Record<string, string>).resourceID, event.Message])
    expect(facts.sort()).toEqual([
      ["admin", "main", "shared", SharedDoomed, "dictionary resource Shared old dictionary deleted"],
      ["alpha-t2", "main", "alpha", Doomed, "filter resource Alpha noise filter deleted"],
      ["alpha-t2", "main", "alpha", Twin, "filter resource Alpha twin deleted"]
    ])
    for (const token of ["alpha-t2", "beta-admin"]) expect(await search(token)).toMatchObject({ status: 200, body: [] })
  })
})
