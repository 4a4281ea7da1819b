// The alerts area through the real routes on the embedded stores (SPEC §5, §7): listing with
// affected assets and accounts, close with a reason (204, 406), assign (new alerts stop
// filling), the 10,000-event limit, and tenant isolation and roles on every write.
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Correlation } from "../../actors/Correlation.ts"
import * as AlertService from "../../cluster/AlertService.ts"
import type { Alert } from "../../model/Alert.ts"
import { MaxEventsPerAlert } from "../../model/Alert.ts"
import { openAlert, withAffected } from "../../model/AlertLifecycle.ts"
import type { NormalizedEvent } from "../../model/Event.ts"
import { CorrelatorId, RuleId, TenantId } from "../../model/Ids.ts"
import { AlertStore } from "../../storage/AlertStore.ts"
import { UserStore } from "../../storage/UserStore.ts"
import { embeddedGatewayApp, provisionUsers } from "../../test/support/gatewayUsers.ts"
import { makeEvent } from "../../test/support/makeEvent.ts"

const TenantA = TenantId.make("tenant-a")
const TenantB = TenantId.make("tenant-b")
const correlatorId = CorrelatorId.make("soc")

const { runtime, app } = await embeddedGatewayApp([
    { id: TenantId.make("main"), name: "Main", main: true },
    { id: TenantA, name: "Tenant A", main: false },
    { id: TenantB, name: "Tenant B", main: false }
])

const call = async (token: string, method: "GET" | "POST", url: string, payload?: unknown) => {
  const response = await app.inject({ method, url: `/api/v1/${url}`, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) })
  return { status: response.statusCode, body: response.body === "" ? undefined : (response.json() as unknown) }
}

/** A correlation event of the tenant touching a host and an account. */
const correlationEvent = (tenantId: TenantId, fields: Partial<NormalizedEvent> = {}) =>
  makeEvent({ TenantID: tenantId, Type: 2, CorrelationRuleName: "Brute force", BaseEventIDs: [crypto.randomUUID()], ...fields })

/** Writes an alert as the alert service would open it. */
const seedAlert = async (tenantId: TenantId, fields: Partial<NormalizedEvent> = {}, groupKey = crypto.randomUUID()): Promise<Alert> => {
  const event = correlationEvent(tenantId, fields)
  const alert = withAffected(openAlert(event, { correlatorId, ruleId: "brute-force", groupKey }, Date.now()), event)
  await runtime.runPromise(Effect.flatMap(AlertStore, (store) => store.create(alert)))
  return alert
}

const readAlert = (alert: Alert) =>
  runtime.runPromise(Effect.flatMap(AlertStore, (store) => store.get(alert.tenantID, alert.id))).then((found) => {
    if (found._tag === "None") throw new Error(`alert ${alert.id} missing`)
    return found.value.alert
  })

const userId = async (login: string) => {
  const user = await runtime.runPromise(Effect.flatMap(UserStore, (store) => store.getUserByLogin(login)))
  if (user._tag === "None") throw new Error(`user ${login} missing`)
  return user.value.id
}

let alertOfB: Alert

beforeAll(async () => {
  await runtime.runPromise(
    provisionUsers([
      { login: "analyst-a", token: "analyst-a", roles: [[TenantA, "tier-1-analyst"]] },
      { login: "colleague-a", token: "colleague-a", roles: [[TenantA, "tier-2-analyst"]] },
      { login: "analyst-b", token: "analyst-b", roles: [[TenantB, "tier-1-analyst"]] },
      { login: "junior-a", token: "junior-a", roles: [[TenantA, "junior-analyst"]] },
      // Manages tenant A's alerts, only reads tenant B's.
      { login: "reader-of-b", token: "reader-of-b", roles: [[TenantA, "tier-1-analyst"], [TenantB, "junior-analyst"]] },
      { login: "admin", token: "admin", roles: [["main", "general-administrator"]] }
    ])
  )
  alertOfB = await seedAlert(TenantB, { SourceHostName: "secret-b.example", SourceUserName: "bob-of-b" })
})
afterAll(async () => {
  await app.close()
  await runtime.dispose()
})

describe("GET /api/v1/alerts", () => {
  it("lists only the caller's tenants' alerts, and withAffected adds the affected assets and accounts", async () => {
    const mine = await seedAlert(TenantA, { SourceHostName: "ws-1.example", DestinationAddress: "10.0.0.9", SourceUserName: "alice" })
    const plain = await call("analyst-a", "GET", `alerts?id=${mine.id}`)
    expect(plain.status).toBe(200)
    expect(plain.body).toEqual([expect.not.objectContaining({ affectedAssets: expect.anything() })])
    const affected = await call("analyst-a", "GET", `alerts?id=${mine.id}&withAffected`)
    expect(affected.body).toEqual([expect.objectContaining({ id: mine.id, tenantID: TenantA, tenantName: "Tenant A", affectedAssets: ["ws-1.example", "10.0.0.9"], affectedAccounts: ["alice"] })])
    const everything = await call("analyst-a", "GET", "alerts?withAffected&withEvents")
    expect(JSON.stringify(everything.body)).not.toContain(TenantB)
    expect(JSON.stringify(everything.body)).not.toContain("secret-b")
    const asked = await call("analyst-a", "GET", `alerts?id=${alertOfB.id}&tenantID=${TenantB}`)
    expect(asked).toEqual({ status: 200, body: [] })
  })
})

describe("POST /api/v1/alerts/close", () => {
  it("closes with a reason (204, status closed, reason kept), and a second close answers 406", async () => {
    const alert = await seedAlert(TenantA)
    expect(await call("analyst-a", "POST", "alerts/close", { id: alert.id, reason: "incorrect correlation rule" })).toEqual({ status: 204, body: undefined })
    const listed = await call("analyst-a", "GET", `alerts?id=${alert.id}`)
    expect(listed.body).toEqual([expect.objectContaining({ status: "closed", closingReason: "incorrect correlation rule" })])
    const again = await call("analyst-a", "POST", "alerts/close", { id: alert.id, reason: "responded" })
    expect(again.status).toBe(406)
    expect(again.body).toEqual({ message: "alert already closed", details: "" })
    expect((await readAlert(alert)).closingReason).toBe("incorrect correlation rule")
  })

  it("an unknown id and another tenant's id answer the same 404 body, and the foreign alert stays new", async () => {
    const unknown = await call("analyst-a", "POST", "alerts/close", { id: crypto.randomUUID(), reason: "responded" })
    const foreign = await call("analyst-a", "POST", "alerts/close", { id: alertOfB.id, reason: "responded" })
    expect(unknown.status).toBe(404)
    expect(foreign).toEqual(unknown)
    expect((await readAlert(alertOfB)).status).toBe("new")
  })

  it("refuses a reason outside responded, incorrect data and incorrect correlation rule with KUMA's 400 'invalid reason', and a missing one with 'reason required'", async () => {
    const alert = await seedAlert(TenantA)
    for (const reason of ["fixed", "", "Responded"]) {
      const refused = await call("analyst-a", "POST", "alerts/close", { id: alert.id, reason })
      expect(refused.status, reason).toBe(400)
      expect(refused.body).toEqual({ message: "invalid reason", details: expect.any(String) })
    }
    expect(await call("analyst-a", "POST", "alerts/close", { id: alert.id })).toEqual({ status: 400, body: { message: "reason required", details: "" } })
    expect((await readAlert(alert)).status).toBe("new")
  })

  it("a general administrator closes an alert of any tenant", async () => {
    const alert = await seedAlert(TenantB)
    expect((await call("admin", "POST", "alerts/close", { id: alert.id, reason: "incorrect data" })).status).toBe(204)
    expect((await readAlert(alert)).status).toBe("closed")
  })
})

describe("POST /api/v1/alerts/assign", () => {
  it("assigns one alert by userID and several by login: 204, status assigned, assignee the user's id", async () => {
    const [first, second, third] = [await seedAlert(TenantA), await seedAlert(TenantA), await seedAlert(TenantA)]
    const colleague = await userId("colleague-a")
    expect(await call("analyst-a", "POST", "alerts/assign", { id: first!.id, userID: colleague })).toEqual({ status: 204, body: undefined })
    expect(await call("analyst-a", "POST", "alerts/assign", { ids: [second!.id, third!.id], assignee: "colleague-a" })).toEqual({ status: 204, body: undefined })
    for (const alert of [first!, second!, third!]) expect(await readAlert(alert)).toMatchObject({ status: "assigned", assignee: colleague })
    const listed = await call("analyst-a", "GET", `alerts?id=${first!.id}`)
    expect(listed.body).toEqual([expect.objectContaining({ status: "assigned", assignee: colleague })])
  })

  it("an assignee unknown or without a managing role in the alert's tenant is refused alike with 400, changing nothing", async () => {
    const alert = await seedAlert(TenantA)
    const unknown = await call("analyst-a", "POST", "alerts/assign", { id: alert.id, assignee: "nobody" })
    const foreignUser = await call("analyst-a", "POST", "alerts/assign", { id: alert.id, assignee: "analyst-b" })
    const junior = await call("analyst-a", "POST", "alerts/assign", { id: alert.id, userID: await userId("junior-a") })
    expect(unknown.status).toBe(400)
    expect(foreignUser).toEqual(unknown)
    expect(junior).toEqual(unknown)
    expect((await call("analyst-a", "POST", "alerts/assign", { id: alert.id })).status).toBe(400)
    expect((await readAlert(alert)).status).toBe("new")
  })

  it("another tenant's alert answers as an unknown one (404, same body) and stays unassigned; a closed alert answers 406", async () => {
    const unknown = await call("analyst-a", "POST", "alerts/assign", { id: crypto.randomUUID(), assignee: "analyst-a" })
    const foreign = await call("analyst-a", "POST", "alerts/assign", { id: alertOfB.id, assignee: "analyst-a" })
    expect(unknown.status).toBe(404)
    expect(foreign).toEqual(unknown)
    const mixed = await call("analyst-a", "POST", "alerts/assign", { ids: [(await seedAlert(TenantA)).id, alertOfB.id], assignee: "analyst-a" })
    expect(mixed).toEqual(unknown)
    expect((await readAlert(alertOfB)).assignee).toBeUndefined()
    const closed = await seedAlert(TenantA)
    await call("analyst-a", "POST", "alerts/close", { id: closed.id, reason: "responded" })
    expect((await call("analyst-a", "POST", "alerts/assign", { id: closed.id, assignee: "analyst-a" })).status).toBe(406)
  })
})

describe("roles on alert writes", () => {
  it("a junior analyst gets 403 on close and assign, for their own tenant's alert, another tenant's and an unknown id alike", async () => {
    const mine = await seedAlert(TenantA)
    for (const id of [mine.id, alertOfB.id, crypto.randomUUID()]) {
      const close = await call("junior-a", "POST", "alerts/close", { id, reason: "responded" })
      const assign = await call("junior-a", "POST", "alerts/assign", { id, assignee: "analyst-a" })
      expect(close.status).toBe(403)
      expect(assign).toEqual(close)
    }
    expect((await readAlert(mine)).status).toBe("new")
  })

  it("a user who only reads tenant B gets 403 writing B's alert, while managing their own tenant's", async () => {
    expect((await call("reader-of-b", "POST", "alerts/close", { id: alertOfB.id, reason: "responded" })).status).toBe(403)
    expect((await call("reader-of-b", "POST", "alerts/assign", { id: alertOfB.id, assignee: "analyst-b" })).status).toBe(403)
    expect((await readAlert(alertOfB)).status).toBe("new")
    const mine = await seedAlert(TenantA)
    expect((await call("reader-of-b", "POST", "alerts/close", { id: mine.id, reason: "responded" })).status).toBe(204)
  })
})

describe("filling while new and the event limit (SPEC §5)", () => {
  const firing = (groupKey: string, baseEvents: number): Correlation => ({
    correlatorId,
    ruleId: RuleId.make("brute-force"),
    groupKey,
    trigger: "onSubsequentThresholds",
    createAlert: true,
    sendTo: [],
    event: correlationEvent(TenantA, { BaseEventIDs: Array.from({ length: baseEvents }, () => crypto.randomUUID()) })
  })
  /** The alert a firing opened (its id is the firing's event id). */
  const alertOpenedBy = (opening: Correlation) => readAlert({ tenantID: TenantA, id: opening.event.ID } as Alert)
  const record = (correlation: Correlation) => runtime.runPromise(AlertService.record(correlation))
  const alertsOfGroup = async (first: Correlation) => {
    const listed = await call("analyst-a", "GET", "alerts?withEvents")
    const alerts = listed.body as Array<{ id: string; status: string; eventsCount: number; events: Array<{ id: string }> }>
    // The count a queue shows without withEvents is the number of events withEvents lists.
    for (const alert of alerts) expect(alert.eventsCount).toBe(alert.events.length)
    return alerts.filter((alert) => alert.events.some((event) => event.id === first.event.ID))
  }

  it("an alert at 10,000 events makes the next firing open a new alert", async () => {
    const groupKey = crypto.randomUUID()
    const opening = firing(groupKey, MaxEventsPerAlert - 2)
    await record(opening)
    const filling = firing(groupKey, 0)
    await record(filling)
    const full = await alertOpenedBy(opening)
    expect(full.correlationEventIDs.length + full.baseEventIDs.length).toBe(MaxEventsPerAlert)
    const next = firing(groupKey, 0)
    await record(next)
    expect(await readAlert(full)).toEqual(full)
    const opened = await readAlert({ ...full, id: next.event.ID as Alert["id"] })
    expect(opened.status).toBe("new")
    expect(opened.correlationEventIDs).toEqual([next.event.ID])
    expect(await alertsOfGroup(opening)).toHaveLength(1)
  })

  it("a new alert absorbs later firings of its group, and once assigned through the API the next firing opens a new alert", async () => {
    const groupKey = crypto.randomUUID()
    const opening = firing(groupKey, 1)
    await record(opening)
    await record(firing(groupKey, 1))
    const filled = await alertOpenedBy(opening)
    expect(filled.correlationEventIDs).toHaveLength(2)
    expect((await call("analyst-a", "POST", "alerts/assign", { id: filled.id, assignee: "analyst-a" })).status).toBe(204)
    const later = firing(groupKey, 1)
    await record(later)
    expect((await alertOpenedBy(opening)).correlationEventIDs).toHaveLength(2)
    const opened = await readAlert({ ...filled, id: later.event.ID as Alert["id"] })
    expect(opened).toMatchObject({ status: "new", correlationEventIDs: [later.event.ID] })
  })
})
