// POST /api/v1/storage/partitions/delete through the real route on the embedded stores: a
// tenant's old events removed by whole days, only by its administrators, audited, and another
// tenant answering exactly as an unknown one.
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { NormalizedEvent } from "../../model/Event.ts"
import { MatchAll } from "../../model/Filter.ts"
import { TenantId } from "../../model/Ids.ts"
import { EventStore } from "../../storage/EventStore.ts"
import { embeddedGatewayApp, provisionUsers } from "../../test/support/gatewayUsers.ts"
import { makeEvent } from "../../test/support/makeEvent.ts"
import { provisionAdmin } from "../UserProvisioning.ts"

const Alpha = TenantId.make("alpha")
const Beta = TenantId.make("beta")
const tenants = [
  { id: TenantId.make("main"), name: "Main", main: true },
  { id: Alpha, name: "Alpha", main: false },
  { id: Beta, name: "Beta", main: false }
]

const { runtime, app } = await embeddedGatewayApp(tenants)

const DayMillis = 86_400_000
const now = Date.now()
const alphaOld = [makeEvent({ TenantID: Alpha, Timestamp: now - 5 * DayMillis }), makeEvent({ TenantID: Alpha, Timestamp: now - 4 * DayMillis })]
const alphaRecent = makeEvent({ TenantID: Alpha, Timestamp: now - 60_000 })
const betaOld = makeEvent({ TenantID: Beta, Timestamp: now - 5 * DayMillis })
const betaRecent = makeEvent({ TenantID: Beta, Timestamp: now - 60_000 })

const call = async (token: string, url: string, payload: unknown) => {
  const response = await app.inject({ method: "POST", url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, payload: payload as Record<string, unknown> })
  return { status: response.statusCode, body: response.json() as unknown }
}
const deletePartitions = (token: string, tenantID: string, before: string) => call(token, "/storage/partitions/delete", { tenantID, before })

/** The ids of a tenant's stored events, whatever their age. */
const storedIds = async (tenantId: TenantId) => {
  const events = await runtime.runPromise(
    Effect.flatMap(EventStore, (store) => store.search({ tenantIds: [tenantId], from: 0, to: now + DayMillis, filter: MatchAll, order: "asc", limit: 1_000 }))
  )
  return events.map((event) => event.ID).sort()
}
const idsOf = (events: ReadonlyArray<NormalizedEvent>) => events.map((event) => event.ID).sort()
const threeDaysAgo = new Date(now - 3 * DayMillis).toISOString()

/** The audit events (type 4) as a caller finds them with POST /events. */
const auditEvents = async (token: string) => {
  const result = await call(token, "/events", {
    period: { from: new Date(now - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() },
    sql: "SELECT * FROM events WHERE Type = 4"
  })
  expect(result.status).toBe(200)
  return result.body as Array<Record<string, unknown>>
}

beforeAll(async () => {
  await runtime.runPromise(provisionAdmin("admin-token"))
  await runtime.runPromise(
    provisionUsers([
      { login: "alpha-admin", token: "alpha-admin", roles: [["alpha", "tenant-administrator"]] },
      { login: "alpha-t2", token: "alpha-t2", roles: [["alpha", "tier-2-analyst"]] },
      { login: "beta-admin", token: "beta-admin", roles: [["beta", "tenant-administrator"]] }
    ])
  )
  await runtime.runPromise(Effect.flatMap(EventStore, (store) => store.write([...alphaOld, alphaRecent, betaOld, betaRecent])))
})
afterAll(async () => {
  await app.close()
  await runtime.dispose()
})

describe("POST /api/v1/storage/partitions/delete", () => {
  it("refusals change nothing: a tier 2 analyst gets 403, another tenant and an unknown tenant the same 404, a future or malformed time 400, the main tenant's audit trail 403 even for the general administrator", async () => {
    expect(await deletePartitions("admin-token", "main", threeDaysAgo)).toEqual({
      status: 403,
      body: { message: "access denied", details: "the main tenant's events hold the audit trail and are removed only by its retention" }
    })
    expect(await deletePartitions("alpha-t2", "alpha", threeDaysAgo)).toEqual({
      status: 403,
      body: { message: "access denied", details: "your role in tenant alpha does not allow deleting stored events" }
    })
    const foreign = await deletePartitions("alpha-admin", "beta", threeDaysAgo)
    const unknown = await deletePartitions("alpha-admin", "nowhere", threeDaysAgo)
    expect(foreign).toEqual({ status: 404, body: { message: "tenant not found", details: "" } })
    expect(unknown).toEqual(foreign)
    const future = await deletePartitions("alpha-admin", "alpha", new Date(Date.now() + 3_600_000).toISOString())
    expect(future).toEqual({ status: 400, body: { message: "before is in the future", details: "only events older than now can be deleted" } })
    expect((await deletePartitions("alpha-admin", "alpha", "yesterday")).status).toBe(400)
    expect(await storedIds(Alpha)).toEqual(idsOf([...alphaOld, alphaRecent]))
    expect(await storedIds(Beta)).toEqual(idsOf([betaOld, betaRecent]))
  })

  it("a tenant administrator removes the tenant's whole days before the time, keeping newer events and every other tenant's", async () => {
    const result = await deletePartitions("alpha-admin", "alpha", threeDaysAgo)
    expect(result).toEqual({
      status: 200,
      body: { tenantID: "alpha", before: threeDaysAgo, partitions: 2, from: new Date(alphaOld[0]!.Timestamp).toISOString(), to: new Date(alphaOld[1]!.Timestamp).toISOString() }
    })
    expect(await storedIds(Alpha)).toEqual(idsOf([alphaRecent]))
    expect(await storedIds(Beta)).toEqual(idsOf([betaOld, betaRecent]))
  })

  it("nothing older left answers 0 partitions without a span; the general administrator may delete in any tenant", async () => {
    expect(await deletePartitions("alpha-admin", "alpha", threeDaysAgo)).toEqual({ status: 200, body: { tenantID: "alpha", before: threeDaysAgo, partitions: 0 } })
    expect((await deletePartitions("admin-token", "beta", threeDaysAgo)).body).toMatchObject({ tenantID: "beta", partitions: 1 })
    expect(await storedIds(Beta)).toEqual(idsOf([betaRecent]))
  })

  it("each deletion is a type 4 event of the main tenant naming the tenant, the time and the count, found by the general administrator and by no tenant user", async () => {
    const audit = (await auditEvents("admin-token")).filter((event) => event.Name === "storage partition deleted by user")
    const facts = audit.map((event) => {
      const extra = event.Extra as Record<string, string>
      return [event.SourceUserName, event.DestinationNtDomain, event.TenantID, extra.tenantID, extra.before, extra.partitions]
    })
    expect(facts.sort()).toEqual([
      ["admin", "beta", "main", "beta", threeDaysAgo, "1"],
      ["alpha-admin", "alpha", "main", "alpha", threeDaysAgo, "0"],
      ["alpha-admin", "alpha", "main", "alpha", threeDaysAgo, "2"]
    ])
    for (const token of ["alpha-admin", "beta-admin"]) expect(await auditEvents(token)).toEqual([])
  })
})
