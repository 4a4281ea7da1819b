// The incidents area through the real routes on the embedded stores (SPEC §1, §5, §7): creation
// in the creator's tenant, list and read, change, assign and close, link and unlink (one
// incident per alert, same tenant, escalation), merge; tenant isolation and roles on every write.
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Alert } from "../../model/Alert.ts"
import { openAlert, withAffected } from "../../model/AlertLifecycle.ts"
import type { NormalizedEvent } from "../../model/Event.ts"
import { CorrelatorId, TenantId } from "../../model/Ids.ts"
import { AlertStore } from "../../storage/AlertStore.ts"
import { UserStore } from "../../storage/UserStore.ts"
import { embeddedGatewayApp, provisionUsers } from "../../test/support/gatewayUsers.ts"
import { makeEvent } from "../../test/support/makeEvent.ts"

const TenantA = TenantId.make("tenant-a")
const TenantB = TenantId.make("tenant-b")

const { runtime, app } = await embeddedGatewayApp([
    { id: TenantId.make("main"), name: "Main", main: true },
    { id: TenantA, name: "Tenant A", main: false },
    { id: TenantB, name: "Tenant B", main: false }
])

interface IncidentView {
  readonly id: string
  readonly tenantID: string
  readonly status: string
  readonly alertIDs: Array<string>
  readonly [field: string]: unknown
}

const call = async (token: string, method: "GET" | "POST" | "PATCH", url: string, payload?: unknown) => {
  const response = await app.inject({ method, url: `/api/v1/${url}`, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) })
  return { status: response.statusCode, body: response.body === "" ? undefined : (response.json() as unknown) }
}

/** Opens an incident through the API and returns it; fails the test otherwise. */
const open = async (token: string, fields: Record<string, unknown> = {}): Promise<IncidentView> => {
  const created = await call(token, "POST", "incidents", { name: `Incident ${crypto.randomUUID()}`, ...fields })
  expect(created.status).toBe(200)
  return created.body as IncidentView
}

const seedAlert = async (tenantId: TenantId, fields: Partial<NormalizedEvent> = {}): Promise<Alert> => {
  const event = makeEvent({ TenantID: tenantId, Type: 2, CorrelationRuleName: "Brute force", ...fields })
  const alert = withAffected(openAlert(event, { correlatorId: CorrelatorId.make("soc"), ruleId: "brute-force", groupKey: crypto.randomUUID() }, Date.now()), event)
  await runtime.runPromise(Effect.flatMap(AlertStore, (store) => store.create(alert)))
  return alert
}

const alertStatus = (alert: Alert) =>
  runtime.runPromise(Effect.flatMap(AlertStore, (store) => store.get(alert.tenantID, alert.id))).then((found) => (found._tag === "Some" ? found.value.alert.status : "missing"))

const userId = async (login: string) => {
  const user = await runtime.runPromise(Effect.flatMap(UserStore, (store) => store.getUserByLogin(login)))
  if (user._tag === "None") throw new Error(`user ${login} missing`)
  return user.value.id
}

let incidentOfB: IncidentView
let alertOfB: Alert

beforeAll(async () => {
  await runtime.runPromise(
    provisionUsers([
      { login: "analyst-a", token: "analyst-a", roles: [[TenantA, "tier-1-analyst"]] },
      { login: "analyst-b", token: "analyst-b", roles: [[TenantB, "tier-1-analyst"]] },
      { login: "junior-a", token: "junior-a", roles: [[TenantA, "junior-analyst"]] },
      { login: "both", token: "both", roles: [[TenantA, "tier-2-analyst"], [TenantB, "tier-2-analyst"]] },
      { login: "reader-of-b", token: "reader-of-b", roles: [[TenantA, "tier-1-analyst"], [TenantB, "junior-analyst"]] }
    ])
  )
  alertOfB = await seedAlert(TenantB, { SourceHostName: "secret-b.example" })
  incidentOfB = await open("analyst-b", { name: "Secret incident of B", description: "only B may read this" })
})
afterAll(async () => {
  await app.close()
  await runtime.dispose()
})

describe("POST /api/v1/incidents", () => {
  it("opens an incident in the creator's only tenant with the given fields, open, no alerts", async () => {
    const incident = await open("analyst-a", { name: "Lateral movement", priority: "high", category: "intrusion", type: "lateral", description: "seen on ws-1" })
    expect(incident).toMatchObject({
      tenantID: TenantA,
      tenantName: "Tenant A",
      name: "Lateral movement",
      priority: "high",
      category: "intrusion",
      type: "lateral",
      description: "seen on ws-1",
      status: "open",
      alertIDs: [],
      affectedAssets: [],
      affectedAccounts: []
    })
    expect(Date.parse(String(incident.createdAt))).not.toBeNaN()
    expect((await open("analyst-a")).priority).toBe("medium")
  })

  it("a user managing several tenants must name one (400), gets it when named, and an assignee makes it assigned", async () => {
    const ambiguous = await call("both", "POST", "incidents", { name: "Which tenant?" })
    expect(ambiguous.status).toBe(400)
    const inB = await open("both", { tenantID: TenantB, assignee: "analyst-b" })
    expect(inB).toMatchObject({ tenantID: TenantB, status: "assigned", assignee: await userId("analyst-b") })
  })

  it("a tenant the creator holds no managing role in answers 403 alike whether it exists or not; a bad priority is 400", async () => {
    const foreign = await call("analyst-a", "POST", "incidents", { name: "x", tenantID: TenantB })
    const unknown = await call("analyst-a", "POST", "incidents", { name: "x", tenantID: "no-such-tenant" })
    expect(foreign.status).toBe(403)
    expect(unknown).toEqual(foreign)
    expect((await call("reader-of-b", "POST", "incidents", { name: "x", tenantID: TenantB })).status).toBe(403)
    expect((await call("analyst-a", "POST", "incidents", { name: "x", priority: "urgent" })).status).toBe(400)
    expect((await call("analyst-a", "POST", "incidents", { name: "x", assignee: "analyst-b" })).status).toBe(400)
  })
})

describe("GET /api/v1/incidents", () => {
  it("lists only the caller's tenants' incidents, with name regex, status and id filters; another tenant's id reads as unknown", async () => {
    const named = await open("analyst-a", { name: "Phishing WAVE 42" })
    const listed = await call("analyst-a", "GET", "incidents")
    expect(listed.status).toBe(200)
    const all = listed.body as Array<IncidentView>
    expect(all.length).toBeGreaterThan(0)
    for (const incident of all) expect(incident.tenantID).toBe(TenantA)
    expect(JSON.stringify(all)).not.toContain("Secret incident of B")
    expect((await call("analyst-a", "GET", `incidents?tenantID=${TenantB}`)).body).toEqual([])
    expect((await call("analyst-a", "GET", `incidents?id=${incidentOfB.id}`)).body).toEqual([])
    expect(((await call("analyst-a", "GET", "incidents?name=phishing%20wave")).body as Array<IncidentView>).map((one) => one.id)).toEqual([named.id])
    expect(((await call("analyst-a", "GET", `incidents?id=${named.id}&status=closed`)).body as Array<IncidentView>)).toEqual([])
    expect((await call("analyst-a", "GET", "incidents?name=(")).status).toBe(400)
    const mine = await call("analyst-a", "GET", `incidents/${named.id}`)
    expect(mine).toEqual({ status: 200, body: named })
    const foreign = await call("analyst-a", "GET", `incidents/${incidentOfB.id}`)
    const unknown = await call("analyst-a", "GET", `incidents/${crypto.randomUUID()}`)
    expect(unknown.status).toBe(404)
    expect(foreign).toEqual(unknown)
  })
})

describe("PATCH /api/v1/incidents/{id}", () => {
  it("changes fields, assigns (assigned), unassigns (open), closes with a reason (closed), then refuses changes with 406", async () => {
    const incident = await open("analyst-a")
    const edited = await call("analyst-a", "PATCH", `incidents/${incident.id}`, { name: "Renamed", priority: "critical", description: "more" })
    expect(edited.body).toMatchObject({ name: "Renamed", priority: "critical", description: "more", status: "open" })
    const assigned = await call("analyst-a", "PATCH", `incidents/${incident.id}`, { assignee: "analyst-a" })
    expect(assigned.body).toMatchObject({ status: "assigned", assignee: await userId("analyst-a") })
    const unassigned = await call("analyst-a", "PATCH", `incidents/${incident.id}`, { assignee: null })
    expect(unassigned.body).toMatchObject({ status: "open" })
    expect(unassigned.body).not.toHaveProperty("assignee")
    const closed = await call("analyst-a", "PATCH", `incidents/${incident.id}`, { closingReason: "contained" })
    expect(closed.body).toMatchObject({ status: "closed", closingReason: "contained" })
    expect((await call("analyst-a", "PATCH", `incidents/${incident.id}`, { name: "again" })).status).toBe(406)
    expect((await call("analyst-a", "PATCH", `incidents/${incident.id}`, {})).status).toBe(400)
  })

  it("another tenant's incident answers as an unknown one (404, same body) and is unchanged; an unknown assignee is 400", async () => {
    const unknown = await call("analyst-a", "PATCH", `incidents/${crypto.randomUUID()}`, { name: "mine now" })
    const foreign = await call("analyst-a", "PATCH", `incidents/${incidentOfB.id}`, { name: "mine now" })
    expect(unknown.status).toBe(404)
    expect(foreign).toEqual(unknown)
    expect((await call("analyst-b", "GET", `incidents/${incidentOfB.id}`)).body).toMatchObject({ name: "Secret incident of B" })
    const incident = await open("analyst-a")
    expect((await call("analyst-a", "PATCH", `incidents/${incident.id}`, { assignee: "analyst-b" })).status).toBe(400)
  })
})

describe("POST /api/v1/incidents/{id}/link and unlink", () => {
  it("links alerts of the tenant: they become escalated, the incident lists them and takes their assets and accounts", async () => {
    const incident = await open("analyst-a")
    const first = await seedAlert(TenantA, { SourceHostName: "ws-1.example", SourceUserName: "alice" })
    const second = await seedAlert(TenantA, { DestinationAddress: "10.0.0.7" })
    const linked = await call("analyst-a", "POST", `incidents/${incident.id}/link`, { alertIDs: [first.id, second.id] })
    expect(linked.status).toBe(200)
    expect(linked.body).toMatchObject({ affectedAssets: ["ws-1.example", "10.0.0.7"], affectedAccounts: ["alice"] })
    expect([...(linked.body as IncidentView).alertIDs].sort()).toEqual([first.id, second.id].sort())
    expect(await alertStatus(first)).toBe("escalated")
    const listed = await call("analyst-a", "GET", `alerts?id=${first.id}`)
    expect(listed.body).toEqual([expect.objectContaining({ status: "escalated" })])
    expect((await call("analyst-a", "POST", `incidents/${incident.id}/link`, { alertIDs: [first.id] })).status).toBe(200)
  })

  it("an alert linked to one incident is refused by another with 409 naming the holder, and nothing of the request is linked", async () => {
    const holder = await open("analyst-a")
    const other = await open("analyst-a")
    const taken = await seedAlert(TenantA)
    const free = await seedAlert(TenantA)
    await call("analyst-a", "POST", `incidents/${holder.id}/link`, { alertIDs: [taken.id] })
    const refused = await call("analyst-a", "POST", `incidents/${other.id}/link`, { alertIDs: [free.id, taken.id] })
    expect(refused.status).toBe(409)
    expect((refused.body as { details: string }).details).toContain(holder.id)
    expect(((await call("analyst-a", "GET", `incidents/${other.id}`)).body as IncidentView).alertIDs).toEqual([])
    expect(await alertStatus(free)).toBe("new")
  })

  it("another tenant's alert answers as an unknown alert (404, same body), and another tenant's incident as an unknown incident", async () => {
    const incident = await open("analyst-a")
    const unknownAlert = await call("analyst-a", "POST", `incidents/${incident.id}/link`, { alertIDs: [crypto.randomUUID()] })
    const foreignAlert = await call("analyst-a", "POST", `incidents/${incident.id}/link`, { alertIDs: [alertOfB.id] })
    expect(unknownAlert.status).toBe(404)
    expect(foreignAlert).toEqual(unknownAlert)
    // Even a user who manages both tenants cannot put B's alert into A's incident.
    const acrossTenants = await open("both", { tenantID: TenantA })
    expect(await call("both", "POST", `incidents/${acrossTenants.id}/link`, { alertIDs: [alertOfB.id] })).toEqual(unknownAlert)
    expect(await alertStatus(alertOfB)).toBe("new")
    const mine = await seedAlert(TenantA)
    const unknownIncident = await call("analyst-a", "POST", `incidents/${crypto.randomUUID()}/link`, { alertIDs: [mine.id] })
    expect(unknownIncident.status).toBe(404)
    for (const action of ["link", "unlink"]) {
      expect(await call("analyst-a", "POST", `incidents/${incidentOfB.id}/${action}`, { alertIDs: [mine.id] })).toEqual(unknownIncident)
    }
    expect(((await call("analyst-b", "GET", `incidents/${incidentOfB.id}`)).body as IncidentView).alertIDs).toEqual([])
  })

  it("unlinks: the incident drops the alert and the alert leaves escalated (to assigned when it has an assignee, else new)", async () => {
    const incident = await open("analyst-a")
    const plain = await seedAlert(TenantA)
    const assigned = await seedAlert(TenantA)
    expect((await call("analyst-a", "POST", "alerts/assign", { id: assigned.id, assignee: "analyst-a" })).status).toBe(204)
    await call("analyst-a", "POST", `incidents/${incident.id}/link`, { alertIDs: [plain.id, assigned.id] })
    const unlinked = await call("analyst-a", "POST", `incidents/${incident.id}/unlink`, { alertIDs: [plain.id, assigned.id] })
    expect(unlinked.status).toBe(200)
    expect((unlinked.body as IncidentView).alertIDs).toEqual([])
    expect(await alertStatus(plain)).toBe("new")
    expect(await alertStatus(assigned)).toBe("assigned")
    const elsewhere = await open("analyst-a")
    expect((await call("analyst-a", "POST", `incidents/${elsewhere.id}/link`, { alertIDs: [plain.id] })).status).toBe(200)
  })
})

describe("POST /api/v1/incidents/{id}/merge", () => {
  it("moves the source's alerts and assets to the target and closes the source with mergedInto", async () => {
    const target = await open("analyst-a")
    const source = await open("analyst-a")
    const kept = await seedAlert(TenantA, { SourceHostName: "db-1.example" })
    const moved = await seedAlert(TenantA, { SourceUserName: "mallory" })
    await call("analyst-a", "POST", `incidents/${target.id}/link`, { alertIDs: [kept.id] })
    await call("analyst-a", "POST", `incidents/${source.id}/link`, { alertIDs: [moved.id] })
    const merged = await call("analyst-a", "POST", `incidents/${target.id}/merge`, { from: source.id })
    expect(merged.status).toBe(200)
    expect(merged.body).toMatchObject({ affectedAssets: ["db-1.example"], affectedAccounts: ["mallory"] })
    expect([...(merged.body as IncidentView).alertIDs].sort()).toEqual([kept.id, moved.id].sort())
    expect((await call("analyst-a", "GET", `incidents/${source.id}`)).body).toMatchObject({ status: "closed", mergedInto: target.id, alertIDs: [] })
    expect(await alertStatus(moved)).toBe("escalated")
    expect((await call("analyst-a", "POST", `incidents/${target.id}/merge`, { from: source.id })).status).toBe(406)
    expect((await call("analyst-a", "POST", `incidents/${target.id}/merge`, { from: target.id })).status).toBe(400)
  })

  it("a source of another tenant answers as an unknown one (404, same body), even for a user managing both tenants", async () => {
    const target = await open("analyst-a")
    const unknown = await call("analyst-a", "POST", `incidents/${target.id}/merge`, { from: crypto.randomUUID() })
    const foreign = await call("analyst-a", "POST", `incidents/${target.id}/merge`, { from: incidentOfB.id })
    expect(unknown.status).toBe(404)
    expect(foreign).toEqual(unknown)
    const targetOfBoth = await open("both", { tenantID: TenantA })
    expect(await call("both", "POST", `incidents/${targetOfBoth.id}/merge`, { from: incidentOfB.id })).toEqual(unknown)
    expect((await call("analyst-b", "GET", `incidents/${incidentOfB.id}`)).body).toMatchObject({ status: "open" })
    expect(await call("analyst-a", "POST", `incidents/${incidentOfB.id}/merge`, { from: target.id })).toEqual(unknown)
  })
})

describe("roles on incident writes", () => {
  it("a junior analyst gets 403 on create, change, link, unlink and merge, whatever the id", async () => {
    const mine = await open("analyst-a")
    const alert = await seedAlert(TenantA)
    expect((await call("junior-a", "POST", "incidents", { name: "x" })).status).toBe(403)
    for (const id of [mine.id, incidentOfB.id, crypto.randomUUID()]) {
      expect((await call("junior-a", "PATCH", `incidents/${id}`, { name: "x" })).status).toBe(403)
      expect((await call("junior-a", "POST", `incidents/${id}/link`, { alertIDs: [alert.id] })).status).toBe(403)
      expect((await call("junior-a", "POST", `incidents/${id}/unlink`, { alertIDs: [alert.id] })).status).toBe(403)
      expect((await call("junior-a", "POST", `incidents/${id}/merge`, { from: mine.id })).status).toBe(403)
    }
    expect((await call("junior-a", "GET", `incidents/${mine.id}`)).body).toMatchObject({ name: mine.name, alertIDs: [] })
  })

  it("a user who only reads tenant B sees B's incident but gets 403 changing it", async () => {
    expect((await call("reader-of-b", "GET", `incidents/${incidentOfB.id}`)).status).toBe(200)
    expect((await call("reader-of-b", "PATCH", `incidents/${incidentOfB.id}`, { name: "x" })).status).toBe(403)
    expect((await call("reader-of-b", "POST", `incidents/${incidentOfB.id}/link`, { alertIDs: [alertOfB.id] })).status).toBe(403)
  })
})
