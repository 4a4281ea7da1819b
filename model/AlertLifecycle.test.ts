// How correlation events make and extend alerts (SPEC §5): the alert takes the correlation
// event's ID and the correlator's tenant, absorbs firings only while new and under the
// 10,000-event limit, and recognises a redelivered event.
import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { CorrelatorEngine } from "../actors/CorrelatorEngine.ts"
import { Alert, MaxEventsPerAlert, type AlertStatus } from "./Alert.ts"
import { alreadyContains, canExtend, extendAlert, openAlert, type FiringGroup } from "./AlertLifecycle.ts"
import type { NormalizedEvent } from "./Event.ts"
import { CorrelatorId, TenantId } from "./Ids.ts"
import { CorrelatorSpec } from "./Rule.ts"

const mainTenant = TenantId.make("main")
const sourceTenant = TenantId.make("tenant-2")
const correlatorId = CorrelatorId.make("correlator-1")

const group: FiringGroup = { correlatorId, ruleId: "brute-force", groupKey: "10.0.0.1" }

/** A correlation event as the engine would build it, with the given overrides. */
const correlationEvent = (fields: Partial<NormalizedEvent> = {}): NormalizedEvent => ({
  ID: crypto.randomUUID(),
  Timestamp: 2_000,
  TenantID: mainTenant,
  Type: 2,
  Name: "Brute force",
  CorrelationRuleID: "brute-force",
  CorrelationRuleName: "Brute force",
  Priority: 9,
  BaseEventIDs: [crypto.randomUUID(), crypto.randomUUID()],
  BaseEventCount: 2,
  GroupedBy: ["SourceAddress"],
  StartTime: 1_000,
  EndTime: 2_000,
  ...fields
})

const baseIds = (count: number): Array<string> => Array.from({ length: count }, (_, index) => `base-${index}`)

const withStatus = (alert: Alert, status: AlertStatus): Alert => ({ ...alert, status })

describe("openAlert", () => {
  it("opens an alert from an engine correlation event: its ID, the correlator's tenant, not the events' tenant", () => {
    const spec: CorrelatorSpec = Schema.decodeUnknownSync(CorrelatorSpec)({
      id: correlatorId,
      tenantId: mainTenant,
      name: "Main correlator",
      sources: [{ tenantId: sourceTenant }],
      rules: [
        {
          kind: "standard",
          id: "brute-force",
          name: "Brute force",
          selectors: [{ filter: { field: "EventOutcome", op: "=", value: "failure" }, threshold: 2 }],
          identicalFields: ["SourceAddress"],
          windowSeconds: 60,
          priority: 11
        }
      ]
    })
    const base = (timestamp: number): NormalizedEvent => ({
      ID: crypto.randomUUID(),
      Timestamp: timestamp,
      TenantID: sourceTenant,
      Type: 1,
      EventOutcome: "failure",
      SourceAddress: "10.0.0.1"
    })
    const events = [base(1_000), base(4_000)]
    const [correlation] = new CorrelatorEngine(spec).processBatch(events).correlations
    expect(correlation).toBeDefined()
    const alert = openAlert(correlation!.event, correlation!, 9_999)
    expect(alert).toEqual({
      id: correlation!.event.ID,
      tenantID: "main",
      name: "Brute force",
      correlatorID: "correlator-1",
      correlationRuleID: "brute-force",
      groupKey: "10.0.0.1",
      groupedBy: ["SourceAddress"],
      status: "new",
      priority: 11,
      firstSeen: 1_000,
      lastSeen: 4_000,
      updatedAt: 9_999,
      correlationEventIDs: [correlation!.event.ID],
      baseEventIDs: events.map((event) => event.ID)
    })
    expect(() => Schema.decodeUnknownSync(Alert)(alert)).not.toThrow()
  })

  it("takes the rule name, then the event name, then the rule ID as the alert name", () => {
    expect(openAlert(correlationEvent({ CorrelationRuleName: "Rule name", Name: "Event name" }), group, 0).name).toBe("Rule name")
    const { CorrelationRuleName: _ruleName, ...withoutRuleName } = correlationEvent({ Name: "Event name" })
    expect(openAlert(withoutRuleName, group, 0).name).toBe("Event name")
    const { Name: _name, ...withoutNames } = withoutRuleName
    expect(openAlert(withoutNames, group, 0).name).toBe("brute-force")
  })

  it("falls back to priority 1, the Timestamp for first/last seen and empty lists when the event lacks them", () => {
    const alert = openAlert({ ID: crypto.randomUUID(), Timestamp: 5_000, TenantID: mainTenant, Type: 2 }, group, 6_000)
    expect(alert.priority).toBe(1)
    expect(alert.firstSeen).toBe(5_000)
    expect(alert.lastSeen).toBe(5_000)
    expect(alert.groupedBy).toEqual([])
    expect(alert.baseEventIDs).toEqual([])
  })

  it("keeps at most MaxEventsPerAlert events, the correlation event counted", () => {
    expect(MaxEventsPerAlert).toBe(10_000)
    const alert = openAlert(correlationEvent({ BaseEventIDs: baseIds(MaxEventsPerAlert + 50) }), group, 0)
    expect(alert.baseEventIDs).toHaveLength(MaxEventsPerAlert - 1)
    expect(alert.baseEventIDs[MaxEventsPerAlert - 2]).toBe(`base-${MaxEventsPerAlert - 2}`)
  })
})

describe("canExtend and extendAlert", () => {
  it("a new alert can absorb a later firing; an assigned, escalated or closed one cannot", () => {
    const alert = openAlert(correlationEvent(), group, 0)
    const later = correlationEvent()
    expect(canExtend(alert, later)).toBe(true)
    for (const status of ["assigned", "escalated", "closed"] as const) {
      expect(canExtend(withStatus(alert, status), later), status).toBe(false)
    }
  })

  it("extending appends the event and its base events and widens priority and first/last seen", () => {
    const first = correlationEvent({ Priority: 5, StartTime: 1_000, EndTime: 2_000 })
    const second = correlationEvent({ Priority: 12, StartTime: 500, EndTime: 3_000, Timestamp: 3_000 })
    const alert = openAlert(first, group, 10)
    const extended = extendAlert(alert, second, 20)
    expect(extended).toEqual({
      ...alert,
      priority: 12,
      firstSeen: 500,
      lastSeen: 3_000,
      updatedAt: 20,
      correlationEventIDs: [first.ID, second.ID],
      baseEventIDs: [...first.BaseEventIDs!, ...second.BaseEventIDs!]
    })
    expect(extended.id).toBe(first.ID)
    expect(extended.tenantID).toBe("main")
    expect(extended.status).toBe("new")
  })

  it("extending never lowers priority or narrows first/last seen, and leaves the old alert untouched", () => {
    const alert = openAlert(correlationEvent({ Priority: 13, StartTime: 100, EndTime: 900 }), group, 0)
    const snapshot = structuredClone(alert)
    const extended = extendAlert(alert, correlationEvent({ Priority: 2, StartTime: 200, EndTime: 800 }), 1)
    expect([extended.priority, extended.firstSeen, extended.lastSeen]).toEqual([13, 100, 900])
    expect(alert).toEqual(snapshot)
  })

  it("the 10,000-event limit counts correlation and base events: exactly at the limit extends, one over does not", () => {
    // One correlation event and 9,997 base events: 9,998 held.
    const alert = openAlert(correlationEvent({ BaseEventIDs: baseIds(9_997) }), group, 0)
    const fits = correlationEvent({ BaseEventIDs: ["x"] })
    const overflows = correlationEvent({ BaseEventIDs: ["x", "y"] })
    expect(canExtend(alert, fits)).toBe(true)
    expect(canExtend(alert, overflows)).toBe(false)
    const full = extendAlert(alert, fits, 1)
    expect(full.correlationEventIDs.length + full.baseEventIDs.length).toBe(MaxEventsPerAlert)
    expect(canExtend(full, correlationEvent({ BaseEventIDs: [] }))).toBe(false)
  })

  it("an alert filled by many firings stops absorbing at the limit", () => {
    let alert = openAlert(correlationEvent({ BaseEventIDs: baseIds(99) }), group, 0)
    let firings = 1
    for (;;) {
      const next = correlationEvent({ BaseEventIDs: baseIds(99) })
      if (!canExtend(alert, next)) break
      alert = extendAlert(alert, next, firings)
      firings++
    }
    expect(firings).toBe(100)
    expect(alert.correlationEventIDs.length + alert.baseEventIDs.length).toBe(MaxEventsPerAlert)
  })
})

describe("alreadyContains", () => {
  it("recognises a redelivered correlation event, after opening and after extending", () => {
    const first = correlationEvent()
    const second = correlationEvent()
    const alert = openAlert(first, group, 0)
    expect(alreadyContains(alert, first)).toBe(true)
    expect(alreadyContains(alert, second)).toBe(false)
    const extended = extendAlert(alert, second, 1)
    expect(alreadyContains(extended, first)).toBe(true)
    expect(alreadyContains(extended, second)).toBe(true)
    expect(alreadyContains(extended, correlationEvent())).toBe(false)
  })

  it("compares correlation event IDs only, not base event IDs", () => {
    const first = correlationEvent()
    const alert = openAlert(first, group, 0)
    const baseId = first.BaseEventIDs![0]!
    expect(alreadyContains(alert, correlationEvent({ ID: baseId }))).toBe(false)
  })
})

describe("the alert event limit (regression)", () => {
  it("an alert opened by a huge firing holds at most MaxEventsPerAlert events, the correlation event included", () => {
    const opened = openAlert(correlationEvent({ BaseEventIDs: baseIds(MaxEventsPerAlert + 5) }), group, 1)
    expect(opened.correlationEventIDs.length + opened.baseEventIDs.length).toBe(MaxEventsPerAlert)
  })
})
