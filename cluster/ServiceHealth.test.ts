// Service status (SPEC §7): the pure judgement of one interval, and the watch that writes a
// changed status (audited with from and to) on its schedule and greys the services at a clean stop.
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option, TestClock } from "effect"
import * as NodeLayers from "./NodeLayers.ts"
import { TenantId } from "../model/Ids.ts"
import { ServiceId } from "../model/Service.ts"
import { MatchAll } from "../model/Filter.ts"
import * as DuckDb from "../storage/embedded/DuckDb.ts"
import { EventStore } from "../storage/EventStore.ts"
import { ServiceStore } from "../storage/ServiceStore.ts"
import { evaluate, idleSample, watch, type HealthSample } from "./ServiceHealth.ts"
import { pair } from "./ServicePairing.ts"

const sample = (fields: Partial<HealthSample>): HealthSample => ({ ...idleSample, ...fields })

describe("evaluate", () => {
  it("a service that handed its work on without problems is green, idle or busy", () => {
    expect(evaluate(idleSample, idleSample)).toBe("green")
    expect(evaluate(sample({ backlog: 10, progress: 100 }), sample({ backlog: 5, progress: 250 }))).toBe("green")
    // Problems before the interval do not count against it.
    expect(evaluate(sample({ problems: 7 }), sample({ problems: 7 }))).toBe("green")
  })

  it("parse errors, connection errors or drops in the interval make it yellow", () => {
    expect(evaluate(sample({ problems: 7 }), sample({ problems: 8, progress: 10 }))).toBe("yellow")
  })

  it("a stalled intake (work held at both ends of the interval, none handed on) is yellow; a backlog that moved is not", () => {
    expect(evaluate(sample({ backlog: 3, progress: 10 }), sample({ backlog: 3, progress: 10 }))).toBe("yellow")
    expect(evaluate(sample({ backlog: 3, progress: 10 }), sample({ backlog: 9, progress: 11 }))).toBe("green")
    expect(evaluate(sample({ backlog: 0, progress: 10 }), sample({ backlog: 4, progress: 10 }))).toBe("green")
  })

  it("a service that is down, or failed in the interval, is red whatever else happened", () => {
    expect(evaluate(idleSample, sample({ down: true }))).toBe("red")
    expect(evaluate(sample({ failures: 1 }), sample({ failures: 2, problems: 5 }))).toBe("red")
    expect(evaluate(sample({ failures: 1, problems: 2 }), sample({ failures: 1, problems: 3 }))).toBe("yellow")
  })
})

const stores = NodeLayers.embeddedStores.pipe(Layer.provide(DuckDb.layer(":memory:")), Layer.orDie)
const collector = { id: ServiceId.make("watched-collector"), tenantId: TenantId.make("acme"), kind: "collector" as const, name: "Watched" }

describe("watch", () => {
  it.effect(
    "writes a changed status on the schedule only, audits each change with from and to, and greys the service when its scope closes cleanly",
    () =>
      Effect.gen(function* () {
        const services = yield* ServiceStore
        const events = yield* EventStore
        const status = () => Effect.map(services.get(collector.tenantId, collector.id), (found) => Option.getOrThrow(found).status)
        let current = idleSample
        yield* pair(collector, "node-a")
        yield* Effect.scoped(
          Effect.gen(function* () {
            yield* watch({ node: "node-a", every: Duration.seconds(10), services: [{ service: collector, sample: () => current }], runElsewhere: () => Effect.succeed(false) })
            current = sample({ problems: 2, progress: 5 })
            yield* TestClock.adjust("9 seconds")
            expect(yield* status()).toBe("green")
            yield* TestClock.adjust("1 second")
            expect(yield* status()).toBe("yellow")
            current = sample({ problems: 2, progress: 9 })
            yield* TestClock.adjust("10 seconds")
            expect(yield* status()).toBe("green")
            // Unchanged: nothing written.
            yield* TestClock.adjust("10 seconds")
          })
        )
        expect(yield* status()).toBe("grey")
        const audit = yield* events.search({ tenantIds: [TenantId.make("main")], from: 0, to: Date.now() + 86_400_000, filter: MatchAll, order: "asc", limit: 100 })
        expect(audit.map((event) => [event.Name, event.Extra?.from, event.Extra?.to])).toEqual([
          ["service paired", undefined, undefined],
          ["service status changed", "green", "yellow"],
          ["service status changed", "yellow", "green"],
          ["service status changed", "green", "grey"]
        ])
      }).pipe(Effect.provide(stores)),
    30_000
  )
})
