// The incident service on the embedded stores (SPEC §5): automatic linking of a new alert to an
// open incident of its tenant sharing an asset or account within the window, the affected
// assets and accounts an alert collects, and alert changes that survive a concurrent writer.
import { Effect, Option } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import type { Alert } from "../model/Alert.ts"
import { extendAlert, openAlert, withAffected } from "../model/AlertLifecycle.ts"
import type { NormalizedEvent } from "../model/Event.ts"
import { AlertId, CorrelatorId, TenantId } from "../model/Ids.ts"
import type { Incident } from "../model/Incident.ts"
import { IncidentId } from "../model/IncidentId.ts"
import { AlertStore } from "./AlertStore.ts"
import { IncidentStore } from "./IncidentStore.ts"
import { embeddedGatewayRuntime } from "../test/support/gatewayUsers.ts"
import { makeEvent } from "../test/support/makeEvent.ts"
import { autoLinkAlert, changeAlert, closeAlert, DefaultAutoLinkWindowDays } from "./IncidentOperations.ts"

const TenantA = TenantId.make("tenant-a")
const TenantB = TenantId.make("tenant-b")
const Day = 86_400_000

const runtime = embeddedGatewayRuntime()
afterAll(() => runtime.dispose())

const correlationEvent = (tenantId: TenantId, fields: Partial<NormalizedEvent> = {}) => makeEvent({ TenantID: tenantId, Type: 2, CorrelationRuleName: "Rule", ...fields })

const newAlert = async (tenantId: TenantId, fields: Partial<NormalizedEvent>): Promise<Alert> => {
  const event = correlationEvent(tenantId, fields)
  const alert = withAffected(openAlert(event, { correlatorId: CorrelatorId.make("soc"), ruleId: "rule", groupKey: crypto.randomUUID() }, Date.now()), event)
  await runtime.runPromise(Effect.flatMap(AlertStore, (store) => store.create(alert)))
  return alert
}

const saveIncident = async (tenantId: TenantId, fields: Partial<Incident>): Promise<Incident> => {
  const incident: Incident = {
    id: IncidentId.make(crypto.randomUUID()),
    tenantID: tenantId,
    name: "incident",
    priority: "medium",
    category: "",
    type: "",
    description: "",
    status: "open",
    alertIDs: [],
    affectedAssets: [],
    affectedAccounts: [],
    createdAt: Date.now(),
    updatedAt: Date.now(),
    ...fields
  }
  await runtime.runPromise(Effect.flatMap(IncidentStore, (store) => store.save(incident)))
  return incident
}

const incident = (tenantId: TenantId, id: IncidentId) =>
  runtime.runPromise(Effect.flatMap(IncidentStore, (store) => store.get(tenantId, id))).then(Option.getOrThrow)
const alertNow = (alert: Alert) => runtime.runPromise(Effect.flatMap(AlertStore, (store) => store.get(alert.tenantID, alert.id))).then((found) => Option.getOrThrow(found).alert)
const autoLink = (alert: Alert, days?: number) => runtime.runPromise(autoLinkAlert(alert, days))

describe("affected assets and accounts of an alert", () => {
  it("are each side's host name, else its address, and the source and destination accounts, gathered over firings without repeats", () => {
    const first = correlationEvent(TenantA, { SourceHostName: "ws-1", SourceAddress: "10.0.0.1", DestinationAddress: "10.0.0.2", SourceUserName: "alice" })
    const later = correlationEvent(TenantA, { SourceHostName: "ws-1", DeviceHostName: "fw-1", DestinationUserName: "root", SourceUserName: "" })
    const opened = withAffected(openAlert(first, { correlatorId: CorrelatorId.make("soc"), ruleId: "rule", groupKey: "g" }, 1), first)
    expect(opened).toMatchObject({ affectedAssets: ["ws-1", "10.0.0.2"], affectedAccounts: ["alice"] })
    const extended = withAffected(extendAlert(opened, later, 2), later)
    expect(extended).toMatchObject({ affectedAssets: ["ws-1", "10.0.0.2", "fw-1"], affectedAccounts: ["alice", "root"] })
  })

  it("stay absent on an alert whose events touch no host or account", () => {
    const event = correlationEvent(TenantA)
    const alert = withAffected(openAlert(event, { correlatorId: CorrelatorId.make("soc"), ruleId: "rule", groupKey: "g" }, 1), event)
    expect(alert).not.toHaveProperty("affectedAssets")
    expect(alert).not.toHaveProperty("affectedAccounts")
  })
})

describe("autoLinkAlert", () => {
  it("links a new alert to the newest open incident of its tenant sharing an asset, escalating it and adding its accounts", async () => {
    const older = await saveIncident(TenantA, { affectedAssets: ["auto-1.example"], updatedAt: Date.now() - 2 * Day })
    const newer = await saveIncident(TenantA, { affectedAssets: ["auto-1.example"], updatedAt: Date.now() - Day })
    const alert = await newAlert(TenantA, { SourceHostName: "auto-1.example", SourceUserName: "auto-alice" })
    expect(await autoLink(alert)).toEqual(Option.some(newer.id))
    expect((await incident(TenantA, newer.id)).alertIDs).toEqual([alert.id])
    expect((await incident(TenantA, newer.id)).affectedAccounts).toEqual(["auto-alice"])
    expect((await incident(TenantA, older.id)).alertIDs).toEqual([])
    expect((await alertNow(alert)).status).toBe("escalated")
    expect(await autoLink(alert)).toEqual(Option.none())
  })

  it("links on a shared account alone", async () => {
    const holder = await saveIncident(TenantA, { affectedAccounts: ["auto-bob"] })
    const alert = await newAlert(TenantA, { DestinationUserName: "auto-bob" })
    expect(await autoLink(alert)).toEqual(Option.some(holder.id))
  })

  it("ignores incidents of another tenant, closed ones, and ones not updated within the window (default 7 days, configurable)", async () => {
    await saveIncident(TenantB, { affectedAssets: ["auto-2.example"] })
    await saveIncident(TenantA, { affectedAssets: ["auto-2.example"], status: "closed", closingReason: "done" })
    const stale = await saveIncident(TenantA, { affectedAssets: ["auto-2.example"], updatedAt: Date.now() - (DefaultAutoLinkWindowDays + 1) * Day })
    const alert = await newAlert(TenantA, { SourceHostName: "auto-2.example" })
    expect(await autoLink(alert)).toEqual(Option.none())
    expect((await alertNow(alert)).status).toBe("new")
    expect(await autoLink(alert, DefaultAutoLinkWindowDays + 2)).toEqual(Option.some(stale.id))
  })

  it("links nothing for an alert touching no asset or account, or a closed alert", async () => {
    await saveIncident(TenantA, { affectedAssets: ["auto-3.example"] })
    expect(await autoLink(await newAlert(TenantA, {}))).toEqual(Option.none())
    const closed = await newAlert(TenantA, { SourceHostName: "auto-3.example" })
    await runtime.runPromise(closeAlert(TenantA, closed.id, "responded"))
    expect(await autoLink(await alertNow(closed))).toEqual(Option.none())
  })
})

describe("changeAlert", () => {
  it("reads again and re-applies its change when the alert service extends the alert between its read and its write", async () => {
    const alert = await newAlert(TenantA, {})
    const firing = correlationEvent(TenantA)
    let interleaved = false
    const change = changeAlert(TenantA, alert.id, (current, now) =>
      Effect.gen(function* () {
        if (!interleaved) {
          // The alert service's write lands between this read and this write.
          interleaved = true
          const store = yield* AlertStore
          const stored = Option.getOrThrow(yield* store.get(TenantA, alert.id))
          yield* store.update(extendAlert(stored.alert, firing, now), stored.revision)
        }
        return { ...current, status: "closed" as const, closingReason: "responded" as const, updatedAt: now }
      })
    )
    await runtime.runPromise(change)
    const stored = await alertNow(alert)
    expect(stored.status).toBe("closed")
    expect(stored.correlationEventIDs).toEqual([alert.id, firing.ID])
  })

  it("fails AlertNotFound for an id of another tenant exactly as for an unknown one", async () => {
    const alert = await newAlert(TenantB, {})
    const unknownId = AlertId.make(crypto.randomUUID())
    const foreign = await runtime.runPromise(Effect.flip(closeAlert(TenantA, alert.id, "responded")))
    const unknown = await runtime.runPromise(Effect.flip(closeAlert(TenantA, unknownId, "responded")))
    expect(foreign._tag).toBe("AlertNotFound")
    expect(unknown._tag).toBe("AlertNotFound")
    expect((await alertNow(alert)).status).toBe("new")
  })
})
