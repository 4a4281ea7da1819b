// Active lists through the real routes with the in-memory importer standing in for running
// correlators: listing with record counts, CSV/TSV/internal import with line-numbered refusals,
// clear, audit, and a correlator of another tenant reading exactly as an unknown one.
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TenantId } from "../../model/Ids.ts"
import { embeddedGatewayApp, provisionUsers } from "../../test/support/gatewayUsers.ts"
import { parseActiveListFile } from "../ActiveListFile.ts"
import { activeListIdOf, makeMemory } from "../ActiveListImporter.ts"
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

const lists = makeMemory([
  { id: "alpha-soc", tenantID: Alpha, lists: ["attackers", "vips"] },
  { id: "beta-soc", tenantID: Beta, lists: ["bad-ips"] }
])
const { runtime, app } = await embeddedGatewayApp(tenants, { activeListImporter: lists })

const call = async (token: string, method: "GET" | "POST", url: string, file?: string, contentType = "text/csv") => {
  const response = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${token}`, ...(file !== undefined ? { "content-type": contentType } : {}) },
    ...(file !== undefined ? { payload: file } : {})
  })
  return { status: response.statusCode, body: response.body === "" ? undefined : (response.json() as unknown) }
}
const records = (correlator: string, list: string) => Object.fromEntries(lists.records(correlator, list))

beforeAll(async () => {
  await runtime.runPromise(provisionAdmin("admin-token"))
  await runtime.runPromise(
    provisionUsers([
      { login: "alpha-t2", token: "alpha-t2", roles: [["alpha", "tier-2-analyst"]] },
      { login: "alpha-junior", token: "alpha-junior", roles: [["alpha", "junior-analyst"]] },
      { login: "beta-admin", token: "beta-admin", roles: [["beta", "tenant-administrator"]] }
    ])
  )
})
afterAll(async () => {
  await app.close()
  await runtime.dispose()
})

describe("POST /api/v1/activeLists/import", () => {
  it("imports CSV records keyed by keyField, quoted cells with commas, quotes and line breaks included", async () => {
    const csv = 'ip,reason,score\r\n10.0.0.1,"scanner, noisy",5\r\n10.0.0.2,"said ""hi""\ntwice",7\r\n\r\n'
    const result = await call("alpha-t2", "POST", "/activeLists/import?correlatorID=alpha-soc&activeListName=attackers&format=csv&keyField=ip", csv)
    expect(result.status).toBe(204)
    expect(records("alpha-soc", "attackers")).toEqual({
      "10.0.0.1": { ip: "10.0.0.1", reason: "scanner, noisy", score: "5" },
      "10.0.0.2": { ip: "10.0.0.2", reason: 'said "hi"\ntwice', score: "7" }
    })
  })

  it("imports TSV and the internal format, finds the list by its id, and clears it first when clear is present", async () => {
    const tsv = "user\tdepartment\nalice\tfinance\nbob\tIT\n"
    const vips = activeListIdOf("alpha-soc", "vips")
    expect((await call("alpha-t2", "POST", `/activeLists/import?correlatorID=alpha-soc&activeListID=${vips}&format=tsv&keyField=user`, tsv, "text/tab-separated-values")).status).toBe(204)
    expect(Object.keys(records("alpha-soc", "vips")).sort()).toEqual(["alice", "bob"])
    const internal = '{"Key":"carol","Record":{"user":"carol","level":3}}\n\n{"Key":"dave","Record":{"user":"dave"}}\n'
    expect((await call("alpha-t2", "POST", `/activeLists/import?correlatorID=alpha-soc&activeListID=${vips}&format=internal&clear`, internal, "application/json")).status).toBe(204)
    expect(records("alpha-soc", "vips")).toEqual({ carol: { user: "carol", level: "3" }, dave: { user: "dave" } })
  })

  it("a bad file is a 400 naming the line, and nothing is written", async () => {
    const before = records("alpha-soc", "attackers")
    const cases: Array<[string, string, RegExp]> = [
      ["csv&keyField=address", "ip,reason\n1.1.1.1,x\n", /^line 1: the key field 'address' is not in the header/],
      ["csv&keyField=ip", "ip,reason\n1.1.1.1,x\n2.2.2.2\n", /^line 3: expected 2 fields/],
      ["csv&keyField=ip", 'ip,reason\n1.1.1.1,"multi\nline"\n,empty key\n', /^line 4: the key field 'ip' is empty/],
      ["csv&keyField=ip", "ip,reason\n1.1.1.1,x\n1.1.1.1,y\n", /^line 3: the key '1.1.1.1' is already on line 2/],
      ["csv&keyField=ip", 'ip,reason\n1.1.1.1,"open\n', /^line 2: a quoted cell is not closed/],
      ["tsv&keyField=ip", "ip\treason\n1.1.1.1\n", /^line 2: expected 2 fields/],
      ["internal", '{"Key":"a","Record":{}}\nnot json\n', /^line 2: not a JSON object/],
      ["internal", '{"Record":{"a":"b"}}\n', /^line 1: the record has no Key/],
      ["internal", '{"Key":"a","Record":{"nested":{"x":1}}}\n', /^line 1: field 'nested' is not a string/]
    ]
    for (const [format, file, details] of cases) {
      const result = await call("alpha-t2", "POST", `/activeLists/import?correlatorID=alpha-soc&activeListName=attackers&format=${format}`, file)
      expect(result.status, file).toBe(400)
      expect((result.body as { details: string }).details, file).toMatch(details)
    }
    expect((await call("alpha-t2", "POST", "/activeLists/import?correlatorID=alpha-soc&activeListName=attackers&format=csv", "ip\n1\n")).body).toMatchObject({ message: "keyField is required" })
    expect((await call("alpha-t2", "POST", "/activeLists/import?correlatorID=alpha-soc&format=csv&keyField=ip", "ip\n1\n")).body).toMatchObject({ message: "active list not named" })
    expect((await call("alpha-t2", "POST", "/activeLists/import?correlatorID=alpha-soc&activeListName=nope&format=csv&keyField=ip", "ip\n1\n")).status).toBe(404)
    expect(records("alpha-soc", "attackers")).toEqual(before)
  })

  it("a role without the import permission is 403; another tenant's correlator answers exactly as an unknown one", async () => {
    expect((await call("alpha-junior", "POST", "/activeLists/import?correlatorID=alpha-soc&activeListName=attackers&format=csv&keyField=ip", "ip\n9.9.9.9\n")).status).toBe(403)
    const foreign = await call("alpha-t2", "POST", "/activeLists/import?correlatorID=beta-soc&activeListName=bad-ips&format=csv&keyField=ip", "ip\n9.9.9.9\n")
    const unknown = await call("alpha-t2", "POST", "/activeLists/import?correlatorID=no-such&activeListName=bad-ips&format=csv&keyField=ip", "ip\n9.9.9.9\n")
    expect(foreign.status).toBe(404)
    expect(foreign).toEqual(unknown)
    expect(records("beta-soc", "bad-ips")).toEqual({})
  })
})

describe("GET /api/v1/activeLists", () => {
  it("lists the correlator's active lists with their ids and record counts", async () => {
    const result = await call("alpha-junior", "GET", "/activeLists?correlatorID=alpha-soc")
    expect(result.status).toBe(200)
    expect(result.body).toEqual([
      { id: activeListIdOf("alpha-soc", "attackers"), name: "attackers", count: 2 },
      { id: activeListIdOf("alpha-soc", "vips"), name: "vips", count: 2 }
    ])
  })

  it("another tenant's correlator answers exactly as an unknown one, and a missing correlatorID is a 400", async () => {
    const foreign = await call("alpha-junior", "GET", "/activeLists?correlatorID=beta-soc")
    const unknown = await call("alpha-junior", "GET", "/activeLists?correlatorID=no-such")
    expect(foreign.status).toBe(404)
    expect(foreign).toEqual(unknown)
    expect(JSON.stringify(foreign.body)).not.toContain("beta")
    expect((await call("alpha-junior", "GET", "/activeLists")).status).toBe(400)
    expect((await call("beta-admin", "GET", "/activeLists?correlatorID=beta-soc")).body).toEqual([{ id: activeListIdOf("beta-soc", "bad-ips"), name: "bad-ips", count: 0 }])
  })

  it("without an importer wired, every correlator reads as not running (404), never a 5xx", async () => {
    const bare: ApiContext = { run: (effect) => runtime.runPromiseExit(effect), tenants, logInternal: () => {} }
    const bareApp = await buildApiServer(bare)
    const response = await bareApp.inject({ method: "GET", url: "/api/v1/activeLists?correlatorID=alpha-soc", headers: { authorization: "Bearer alpha-t2" } })
    expect(response.statusCode).toBe(404)
    await bareApp.close()
  })
})

describe("active list audit", () => {
  it("imports and clears are type 4 events of the main tenant found by the general administrator", async () => {
    const now = Date.now()
    const response = await app.inject({
      method: "POST",
      url: "/api/v1/events",
      headers: { authorization: "Bearer admin-token" },
      payload: { period: { from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 3_600_000).toISOString() }, sql: "SELECT * FROM events WHERE Type = 4" }
    })
    expect(response.statusCode).toBe(200)
    const events = response.json() as Array<{ Name?: string; Message?: string; TenantID?: string; SourceUserName?: string }>
    const imported = events.filter((event) => event.Name === "active list imported")
    const cleared = events.filter((event) => event.Name === "active list cleared")
    expect(imported.map((event) => event.Message).sort()).toEqual([
      "2 records imported into active list attackers",
      "2 records imported into active list vips",
      "2 records imported into active list vips"
    ])
    expect(cleared.map((event) => event.Message)).toEqual(["active list vips cleared before import"])
    for (const event of [...imported, ...cleared]) {
      expect(event.TenantID).toBe("main")
      expect(event.SourceUserName).toBe("alpha-t2")
    }
  })
})

describe("parseActiveListFile", () => {
  it("counts lines inside quoted cells, skips blank lines, and strips a UTF-8 byte order mark", () => {
    const parsed = parseActiveListFile(new TextEncoder().encode('\uFEFFk,v\n\n"a","x\ny"\nb,z\n'), "csv", "k")
    expect(parsed).toEqual({ ok: true, records: [{ key: "a", fields: { k: "a", v: "x\ny" } }, { key: "b", fields: { k: "b", v: "z" } }] })
    const refused = parseActiveListFile(new TextEncoder().encode('k,v\n"a","x\ny"\nb\n'), "csv", "k")
    expect(refused).toEqual({ ok: false, problem: { line: 4, reason: "expected 2 fields as in the header, found 1" } })
    expect(parseActiveListFile(new Uint8Array([0xff, 0xfe, 0x00]), "csv", "k")).toMatchObject({ ok: false, problem: { line: 1 } })
    expect(parseActiveListFile(new TextEncoder().encode('k\n"a"b\n'), "csv", "k")).toMatchObject({ ok: false, problem: { line: 2, reason: "text after the closing quote of a cell" } })
  })
})
