// Active lists through the real routes with the in-memory importer standing in for running
// correlators: listing with record counts, CSV/TSV/internal import with line-numbered refusals,
// clear, a list's records page by page with a key filter, deleting records, export in each format
// that imports back to the same records, audit, and a correlator of another tenant reading
// exactly as an unknown one.
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TenantId } from "../../model/Ids.ts"
import { embeddedGatewayApp, provisionUsers } from "../../test/support/gatewayUsers.ts"
import { parseActiveListFile, writeActiveListFile, type ActiveListFormat } from "../ActiveListFile.ts"
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
  { id: "beta-soc", tenantID: Beta, lists: ["bad-ips"] },
  { id: "alpha-intel", tenantID: Alpha, lists: ["feeds", "copy"] }
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

const intel = (path: string) => `/activeLists/${path}${path.includes("?") ? "&" : "?"}correlatorID=alpha-intel`
const feedsCsv = (count: number) => `ip,source\n${Array.from({ length: count }, (_, index) => `10.1.${Math.floor(index / 256)}.${index % 256},feed-${index}`).join("\n")}\n`

describe("GET /api/v1/activeLists/records", () => {
  it("pages a list's records 250 at a time in key order, with their fields and times", async () => {
    expect((await call("alpha-t2", "POST", intel("import?activeListName=feeds&format=csv&keyField=ip&clear"), feedsCsv(300))).status).toBe(204)
    const first = await call("alpha-junior", "GET", intel("records?activeListName=feeds"))
    const second = await call("alpha-junior", "GET", intel(`records?activeListID=${activeListIdOf("alpha-intel", "feeds")}&page=2`))
    const third = await call("alpha-junior", "GET", intel("records?activeListName=feeds&page=3"))
    expect([first.status, second.status, third.status]).toEqual([200, 200, 200])
    const keys = [...(first.body as Array<{ key: string }>), ...(second.body as Array<{ key: string }>)].map((record) => record.key)
    expect([(first.body as Array<unknown>).length, (second.body as Array<unknown>).length, third.body]).toEqual([250, 50, []])
    expect(keys).toEqual(Object.keys(records("alpha-intel", "feeds")).sort())
    expect((first.body as Array<unknown>)[0]).toEqual({ key: "10.1.0.0", fields: { ip: "10.1.0.0", source: "feed-0" }, createdAt: null, expiresAt: null })
  })

  it("key is a case-insensitive regular expression; a bad pattern or an unnamed list is a 400, an unknown list a 404", async () => {
    await call("alpha-t2", "POST", intel("import?activeListName=copy&format=csv&keyField=host&clear"), "host\nMail.Example\nweb.example\nmail.other\n")
    const found = await call("alpha-junior", "GET", intel(`records?activeListName=copy&key=${encodeURIComponent("^MAIL\\.")}`))
    expect((found.body as Array<{ key: string }>).map((record) => record.key)).toEqual(["Mail.Example", "mail.other"])
    expect((await call("alpha-junior", "GET", intel(`records?activeListName=copy&key=${encodeURIComponent("(a")}`))).body).toMatchObject({ message: "invalid key pattern" })
    expect((await call("alpha-junior", "GET", intel("records"))).body).toMatchObject({ message: "active list not named" })
    expect((await call("alpha-junior", "GET", intel("records?activeListName=nope"))).status).toBe(404)
  })

  it("another tenant's correlator answers exactly as an unknown one", async () => {
    const foreign = await call("alpha-junior", "GET", "/activeLists/records?correlatorID=beta-soc&activeListName=bad-ips")
    const unknown = await call("alpha-junior", "GET", "/activeLists/records?correlatorID=no-such&activeListName=bad-ips")
    expect(foreign.status).toBe(404)
    expect(foreign).toEqual(unknown)
  })
})

describe("POST /api/v1/activeLists/records/delete", () => {
  it("deletes the named records (unknown keys skipped) and answers 204; the rest stay", async () => {
    await call("alpha-t2", "POST", intel("import?activeListName=copy&format=csv&keyField=host&clear"), "host,owner\na.example,x\nb.example,y\nc.example,z\n")
    const deleted = await app.inject({
      method: "POST",
      url: "/api/v1/activeLists/records/delete",
      headers: { authorization: "Bearer alpha-t2" },
      payload: { correlatorID: "alpha-intel", activeListName: "copy", keys: ["a.example", "c.example", "nobody.example"] }
    })
    expect(deleted.statusCode).toBe(204)
    expect(records("alpha-intel", "copy")).toEqual({ "b.example": { host: "b.example", owner: "y" } })
  })

  it("a role without the import permission is 403, an unnamed list 400, no keys 400; another tenant's correlator answers as an unknown one and keeps its records", async () => {
    const deleting = (token: string, payload: Record<string, unknown>) =>
      app.inject({ method: "POST", url: "/api/v1/activeLists/records/delete", headers: { authorization: `Bearer ${token}` }, payload }).then((response) => ({ status: response.statusCode, body: response.json() as unknown }))
    await call("beta-admin", "POST", "/activeLists/import?correlatorID=beta-soc&activeListName=bad-ips&format=csv&keyField=ip", "ip\n6.6.6.6\n")
    expect((await deleting("alpha-junior", { correlatorID: "alpha-intel", activeListName: "copy", keys: ["b.example"] })).status).toBe(403)
    expect((await deleting("alpha-t2", { correlatorID: "alpha-intel", keys: ["b.example"] })).body).toMatchObject({ message: "active list not named" })
    expect((await deleting("alpha-t2", { correlatorID: "alpha-intel", activeListName: "copy", keys: [] })).status).toBe(400)
    const foreign = await deleting("alpha-t2", { correlatorID: "beta-soc", activeListName: "bad-ips", keys: ["6.6.6.6"] })
    const unknown = await deleting("alpha-t2", { correlatorID: "no-such", activeListName: "bad-ips", keys: ["6.6.6.6"] })
    expect(foreign.status).toBe(404)
    expect(foreign).toEqual(unknown)
    expect(records("beta-soc", "bad-ips")).toEqual({ "6.6.6.6": { ip: "6.6.6.6" } })
  })
})

describe("GET /api/v1/activeLists/export", () => {
  const exported = async (token: string, search: string) => {
    const response = await app.inject({ method: "GET", url: `/api/v1${intel(`export?${search}`)}`, headers: { authorization: `Bearer ${token}` } })
    return { status: response.statusCode, type: response.headers["content-type"], text: response.body }
  }

  it("each format imports back into another list as the same records, and the file names the list", async () => {
    const csv = 'ip,reason\n10.0.0.1,"scanner, noisy"\n10.0.0.2,"said ""hi""\ntwice"\n10.0.0.3,\n'
    expect((await call("alpha-t2", "POST", intel("import?activeListName=feeds&format=csv&keyField=ip&clear"), csv)).status).toBe(204)
    for (const [format, type, keyField] of [
      ["csv", "text/csv", "ip"],
      ["internal", "application/x-ndjson", undefined]
    ] as const) {
      const file = await exported("alpha-junior", `activeListName=feeds&format=${format}`)
      expect(file.status, file.text).toBe(200)
      expect(file.type).toBe(`${type}; charset=utf-8`)
      const back = await call("alpha-t2", "POST", intel(`import?activeListName=copy&format=${format}&clear${keyField !== undefined ? `&keyField=${keyField}` : ""}`), file.text, type)
      expect(back.status).toBe(204)
      expect(records("alpha-intel", "copy")).toEqual(records("alpha-intel", "feeds"))
    }
    expect((await exported("alpha-junior", "activeListName=feeds&format=csv")).text.split("\r\n")[0]).toBe("ip,reason")
  })

  it("TSV round-trips plain records and refuses (409) one whose field holds a line break; a list of another tenant answers as an unknown one", async () => {
    await call("alpha-t2", "POST", intel("import?activeListName=feeds&format=tsv&keyField=user&clear"), "user\tteam\nalice\tred\nbob\tblue\n", "text/tab-separated-values")
    const file = await exported("alpha-junior", "activeListName=feeds&format=tsv")
    expect(file.text).toBe("user\tteam\nalice\tred\nbob\tblue\n")
    await call("alpha-t2", "POST", intel("import?activeListName=feeds&format=csv&keyField=user&clear"), 'user,team\nalice,"red\nteam"\n')
    const refused = await exported("alpha-junior", "activeListName=feeds&format=tsv")
    expect(refused.status).toBe(409)
    expect(refused.text).toContain("alice")
    const foreign = await app.inject({ method: "GET", url: "/api/v1/activeLists/export?correlatorID=beta-soc&activeListName=bad-ips&format=csv", headers: { authorization: "Bearer alpha-junior" } })
    const unknown = await app.inject({ method: "GET", url: "/api/v1/activeLists/export?correlatorID=no-such&activeListName=bad-ips&format=csv", headers: { authorization: "Bearer alpha-junior" } })
    expect(foreign.statusCode).toBe(404)
    expect([foreign.statusCode, foreign.body]).toEqual([unknown.statusCode, unknown.body])
  })
})

describe("audit of deletions and exports", () => {
  it("a deletion is one type 4 event naming its keys, an export one naming its format; both of the main tenant, by the caller", async () => {
    const now = Date.now()
    const response = await app.inject({
      method: "POST",
      url: "/api/v1/events",
      headers: { authorization: "Bearer admin-token" },
      payload: { period: { from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 3_600_000).toISOString() }, sql: "SELECT * FROM events WHERE Type = 4" }
    })
    const events = response.json() as Array<{ Name?: string; Message?: string; TenantID?: string; SourceUserName?: string; Extra?: Record<string, string> }>
    const deleted = events.filter((event) => event.Name === "active list item deleted")
    expect(deleted).toHaveLength(1)
    expect(deleted[0]).toMatchObject({ TenantID: "main", SourceUserName: "alpha-t2", Message: "3 records deleted from active list copy" })
    expect(JSON.parse(deleted[0]!.Extra!.keys!)).toEqual(["a.example", "c.example", "nobody.example"])
    expect(deleted[0]!.Extra).toMatchObject({ tenantID: "alpha", activeListName: "copy", records: "3" })
    const exports = events.filter((event) => event.Name === "active list exported")
    expect(exports.map((event) => event.Extra?.format).sort()).toEqual(["csv", "csv", "internal", "tsv"])
    for (const event of exports) expect(event).toMatchObject({ TenantID: "main", SourceUserName: "alpha-junior" })
  })
})

describe("writeActiveListFile", () => {
  // Records as a table import leaves them: every record holds its key in the key field and all have the same fields.
  const tableRecords = fc
    .uniqueArray(fc.string({ minLength: 1, maxLength: 8 }).filter((name) => name.trim() === name && name !== "ip"), { maxLength: 4 })
    .chain((names) =>
      fc.uniqueArray(
        fc.record({ key: fc.string({ minLength: 1, maxLength: 12 }), values: fc.array(fc.string({ maxLength: 12 }), { minLength: names.length, maxLength: names.length }) }),
        { selector: (record) => record.key, maxLength: 20 }
      ).map((rows) => rows.map(({ key, values }) => ({ key, fields: { ip: key, ...Object.fromEntries(names.map((name, index) => [name, values[index]!])) } })))
    )
  const readBack = (text: string, format: ActiveListFormat, keyField: string | undefined) => parseActiveListFile(new TextEncoder().encode(text), format, keyField)

  it("CSV written from table records parses back to the same records, whatever the cells hold (commas, quotes, line breaks)", () => {
    fc.assert(
      fc.property(tableRecords, (written) => {
        const file = writeActiveListFile(written, "csv", undefined)
        if (!file.ok) return false
        const parsed = readBack(file.text, "csv", file.keyField)
        expect(parsed).toEqual({ ok: true, records: written.length === 0 ? [] : written })
        return true
      })
    )
  })

  it("the internal format parses back to exactly the written records, whatever their fields", () => {
    const anyRecords = fc.uniqueArray(fc.record({ key: fc.string({ minLength: 1 }), fields: fc.dictionary(fc.string(), fc.string()) }), { selector: (record) => record.key, maxLength: 20 })
    fc.assert(
      fc.property(anyRecords, (written) => {
        const file = writeActiveListFile(written, "internal", undefined)
        expect(file.ok && readBack(file.text, "internal", undefined)).toEqual({ ok: true, records: written })
      })
    )
  })

  it("a table export adds a key column when no field holds the key, and refuses a header name with surrounding spaces", () => {
    expect(writeActiveListFile([{ key: "k1", fields: { a: "1" } }, { key: "k2", fields: { b: "2" } }], "csv", undefined)).toEqual({ ok: true, text: "key,a,b\r\nk1,1,\"\"\r\nk2,\"\",2\r\n", keyField: "key" })
    expect(writeActiveListFile([{ key: "k1", fields: { " a": "1" } }], "tsv", undefined)).toMatchObject({ ok: false })
  })
})
