// Event search cannot reach another tenant's rows whatever the SQL text says (SPEC §6, issue 5):
// hostile queries through the real route, on the embedded store with two tenants' events.
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { MatchAll } from "../../model/Filter.ts"
import { TenantId } from "../../model/Ids.ts"
import { EventStore } from "../../storage/EventStore.ts"
import { embeddedGatewayApp, provisionUsers } from "../../test/support/gatewayUsers.ts"
import { makeEvent } from "../../test/support/makeEvent.ts"
import { StorageCluster } from "./events.ts"

const Mine = TenantId.make("tenant-a")
const Theirs = TenantId.make("tenant-b")
const period = { from: "2023-11-01T00:00:00Z", to: "2023-11-30T00:00:00Z" }


const { runtime, app } = await embeddedGatewayApp([])

const search = async (sql: string) => {
  const response = await app.inject({ method: "POST", url: "/api/v1/events", headers: { authorization: "Bearer analyst-a" }, payload: { period, sql } })
  return { status: response.statusCode, rows: response.statusCode === 200 ? (response.json() as Array<Record<string, unknown>>) : [], body: response.json() as Record<string, unknown> }
}

beforeAll(async () => {
  await runtime.runPromise(provisionUsers([{ login: "analyst-a", token: "analyst-a", roles: [[Mine, "tier-1-analyst"]] }]))
  const events = [
    makeEvent({ TenantID: Mine, Name: "mine", SourceUserName: "alice", Message: "x' OR '1'='1" }),
    makeEvent({ TenantID: Mine, Name: "mine", SourceUserName: "bob" }),
    makeEvent({ TenantID: Theirs, Name: "theirs", SourceUserName: "alice", Message: "secret of b" }),
    makeEvent({ TenantID: Theirs, Name: "theirs", SourceUserName: "carol" })
  ]
  await runtime.runPromise(Effect.flatMap(EventStore, (store) => store.write(events)))
})
afterAll(async () => {
  await app.close()
  await runtime.dispose()
})

describe("POST /api/v1/events keeps the caller to their tenants", () => {
  it("asking for the other tenant by TenantID finds nothing", async () => {
    const result = await search("SELECT * FROM events WHERE TenantID = 'tenant-b'")
    expect(result.status).toBe(200)
    expect(result.rows).toEqual([])
  })

  it("a filter that is true for every row still returns only the caller's rows", async () => {
    for (const sql of [
      "SELECT * FROM events WHERE TenantID = 'tenant-b' OR TenantID != 'tenant-b'",
      "SELECT * FROM events WHERE not TenantID = 'nobody'",
      "SELECT Name, TenantID FROM events WHERE SourceUserName = 'alice' OR SourceUserName != 'alice'",
      "SELECT * FROM events WHERE Message = 'x'' OR ''1''=''1'",
      "SELECT * FROM events"
    ]) {
      const result = await search(sql)
      expect(result.status, sql).toBe(200)
      expect(result.rows.length, sql).toBeGreaterThan(0)
      for (const row of result.rows) expect(row.TenantID ?? "tenant-a", sql).toBe("tenant-a")
      expect(JSON.stringify(result.rows), sql).not.toContain("tenant-b")
      expect(JSON.stringify(result.rows), sql).not.toContain("secret of b")
    }
  })

  it("SQL outside the subset is refused with a position and a reason, never run", async () => {
    for (const sql of [
      "SELECT * FROM events WHERE 1=1",
      "SELECT * FROM events WHERE TenantID = 'tenant-a' OR 1=1",
      "SELECT * FROM events -- WHERE TenantID = 'tenant-a'",
      "SELECT * FROM events /* comment */ WHERE Name = 'theirs'",
      "SELECT * FROM events UNION SELECT * FROM events",
      "SELECT * FROM events WHERE ID IN (SELECT ID FROM events)",
      "SELECT * FROM events; DROP TABLE events",
      "SELECT * FROM events WHERE Name = 'theirs'; SELECT * FROM events",
      "SELECT * FROM events_staging",
      "SELECT * FROM events WHERE Name = \"theirs\"",
      "DELETE FROM events"
    ]) {
      const result = await search(sql)
      expect(result.status, sql).toBe(400)
      expect(result.body.message, sql).toBe("invalid sql")
      expect(String(result.body.details), sql).toMatch(/line \d+|column \d+|expected/i)
      expect(JSON.stringify(result.body), sql).not.toContain("secret of b")
    }
    // The store still holds both tenants' events: nothing was executed.
    const all = await runtime.runPromise(Effect.flatMap(EventStore, (store) => store.search({ tenantIds: [Mine, Theirs], from: Date.parse(period.from), to: Date.parse(period.to), filter: MatchAll, limit: 100, order: "asc" })))
    expect(all.length).toBe(4)
  })

  it("aggregates and GROUP BY count only the caller's rows, whatever the query groups or filters by", async () => {
    const byTenant = await search("SELECT TenantID, count(*) AS n FROM events WHERE TenantID = 'tenant-b' OR TenantID != 'tenant-b' GROUP BY TenantID")
    expect(byTenant.status).toBe(200)
    expect(byTenant.rows).toEqual([{ TenantID: "tenant-a", n: 2 }])
    const byUser = await search("SELECT SourceUserName, count(*) FROM events GROUP BY SourceUserName ORDER BY SourceUserName")
    expect(byUser.rows).toEqual([
      { SourceUserName: "alice", "count(*)": 1 },
      { SourceUserName: "bob", "count(*)": 1 }
    ])
    const total = await search("SELECT count(*), max(Message), min(TenantID) FROM events WHERE not TenantID = 'nobody'")
    expect(total.rows).toEqual([{ "count(*)": 2, "max(Message)": "x' OR '1'='1", "min(TenantID)": "tenant-a" }])
    expect(JSON.stringify([byTenant, byUser, total])).not.toMatch(/tenant-b"|carol|secret of b/)
    const theirsOnly = await search("SELECT count(*) FROM events WHERE TenantID = 'tenant-b'")
    expect(theirsOnly.rows).toEqual([{ "count(*)": 0 }])
  })

  it("hostile SQL around the new syntax is refused with a position, never run", async () => {
    for (const sql of [
      "SELECT count(*) FROM (SELECT * FROM events)",
      "SELECT count(*) FROM events GROUP BY TenantID HAVING count(*) > 0",
      "SELECT count(*) FROM events GROUP BY Name UNION SELECT count(*) FROM events",
      "SELECT count(*) FROM events GROUP BY Name; DROP TABLE events",
      "SELECT count(*) FROM events -- GROUP BY TenantID",
      "SELECT count(SELECT ID FROM events) FROM events",
      "SELECT count(*) AS \"x\" FROM events",
      "SELECT count(*) AS 'x' FROM events",
      "SELECT count(1=1) FROM events",
      "SELECT sum(TenantID) FROM events",
      "SELECT string_agg(Message) FROM events",
      "SELECT Name FROM events GROUP BY Name ORDER BY (SELECT 1)",
      "SELECT Name, count(*) FROM events GROUP BY Name ORDER BY count(*) LIMIT 1 OFFSET 1",
      "SELECT * FROM events ORDER BY Name LIMIT 100000"
    ]) {
      const result = await search(sql)
      expect(result.status, sql).toBe(400)
      expect(result.body.message, sql).toBe("invalid sql")
      expect(String(result.body.details), sql).toMatch(/line \d+, column \d+: expected/)
    }
  })

  it("time fields in results read as RFC 3339 unless raw timestamps are asked for", async () => {
    const first = await search("SELECT min(Timestamp) AS first, count(*) FROM events")
    expect(first.rows[0]!.first).toMatch(/^\d{4}-\d\d-\d\dT/)
    const response = await app.inject({
      method: "POST",
      url: "/api/v1/events",
      headers: { authorization: "Bearer analyst-a" },
      payload: { period, sql: "SELECT min(Timestamp) AS first FROM events", rawTimestamps: true }
    })
    expect(typeof (response.json() as Array<{ first: unknown }>)[0]!.first).toBe("number")
  })
})

describe("GET /api/v1/events/clusters and clusterID", () => {
  const get = (url: string) => app.inject({ method: "GET", url, headers: { authorization: "Bearer analyst-a" } })

  it("lists the installation's one storage cluster with the main tenant, filtered by id, tenantID and name; a search may name it, and an unknown clusterID is a 404", async () => {
    const listed = await get("/api/v1/events/clusters")
    expect(listed.statusCode).toBe(200)
    const [cluster] = listed.json() as Array<{ id: string; name: string; tenantID: string; tenantName: string }>
    expect(cluster).toEqual({ id: StorageCluster.id, name: StorageCluster.name, tenantID: "main", tenantName: "Main" })
    expect((await get(`/api/v1/events/clusters?id=${StorageCluster.id}&name=event%20STORAGE`)).json()).toHaveLength(1)
    expect((await get("/api/v1/events/clusters?name=nothing-like-it")).json()).toEqual([])
    expect((await get("/api/v1/events/clusters?page=2")).json()).toEqual([])
    expect((await get("/api/v1/events/clusters?name=(")).statusCode).toBe(400)

    const named = await app.inject({ method: "POST", url: "/api/v1/events", headers: { authorization: "Bearer analyst-a" }, payload: { period, sql: "SELECT count(*) AS n FROM events", clusterID: StorageCluster.id } })
    expect(named.json()).toEqual([{ n: 2 }])
    const unknown = await app.inject({ method: "POST", url: "/api/v1/events", headers: { authorization: "Bearer analyst-a" }, payload: { period, sql: "SELECT * FROM events", clusterID: "00000000-0000-4000-8000-000000000000" } })
    expect(unknown.statusCode).toBe(404)
    expect((unknown.json() as { message: string }).message).toBe("cluster not found")
  })

  it("empty fields are listed as null only when asked for", async () => {
    const search = (emptyFields: boolean) =>
      app.inject({ method: "POST", url: "/api/v1/events", headers: { authorization: "Bearer analyst-a" }, payload: { period, sql: "SELECT Name, FileHash FROM events WHERE SourceUserName = 'bob'", emptyFields } })
    expect((await search(false)).json()).toEqual([{ Name: "mine" }])
    expect((await search(true)).json()).toEqual([{ Name: "mine", FileHash: null }])
  })
})
