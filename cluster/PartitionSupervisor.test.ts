// Two nodes in one process (shared in-memory membership and lease buckets, one embedded bus and
// checkpoint store): they split a correlator's partitions; when one stops gracefully or drains,
// the other takes its partitions over from their checkpoints; across all of it the correlation
// events are exactly one whole engine's.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Schema, Scope } from "effect"
import { CorrelatorEngine } from "../actors/CorrelatorEngine.ts"
import type { NormalizedEvent } from "../model/Event.ts"
import { CollectorId, TenantId } from "../model/Ids.ts"
import { CorrelatorSpec } from "../model/Rule.ts"
import * as DuckDb from "../storage/embedded/DuckDb.ts"
import * as DuckDbCheckpointStore from "../storage/embedded/DuckDbCheckpointStore.ts"
import { until } from "../test/support/eventually.ts"
import * as EmbeddedEventBus from "./bus/EmbeddedEventBus.ts"
import * as CorrelatorRegistry from "./CorrelatorRegistry.ts"
import { EventBus } from "./EventBus.ts"
import * as Membership from "./ownership/Membership.ts"
import * as PartitionLeases from "./ownership/PartitionLeases.ts"
import * as PartitionSupervisor from "./PartitionSupervisor.ts"
import { entriesOf, Topics } from "./Topics.ts"
import * as TopicsModule from "./Topics.ts"

const tenant = TenantId.make("tenant-2")
const t0 = Date.UTC(2026, 10, 22, 12, 0, 0)
const Partitions = 4

const spec = Schema.decodeUnknownSync(CorrelatorSpec)({
  id: "soc",
  tenantId: "main",
  name: "SOC",
  sources: [{ tenantId: tenant }],
  rules: [
    {
      kind: "standard",
      id: "guessing",
      name: "Password guessing",
      selectors: [{ filter: { field: "EventOutcome", op: "=", value: "failure" }, threshold: 3 }],
      identicalFields: ["SourceAddress"],
      windowSeconds: 30,
      actions: [{ trigger: "onFirstThreshold" }, { trigger: "onSubsequentThresholds" }, { trigger: "onTimeout" }]
    }
  ]
})

const events: Array<NormalizedEvent> = Array.from({ length: 800 }, (_, index) => ({
  ID: `00000000-0000-4000-8000-${(index + 1).toString(16).padStart(12, "0")}`,
  Timestamp: t0 + index * 300,
  TenantID: tenant,
  Type: 1,
  EventOutcome: index % 4 === 0 ? "success" : "failure",
  SourceAddress: `10.0.${index % 3}.${index % 17}`
}))


const supervisor = (nodeId: string) =>
  PartitionSupervisor.start({
    nodeId,
    address: `${nodeId}:0`,
    correlators: [{ spec, partitions: Partitions }],
    reconcileEvery: "100 millis",
    checkpointEvery: { matches: 40, interval: "200 millis" },
    markInterval: "100 millis"
  })

describe("PartitionSupervisor", () => {
  it.live("two nodes split the partitions, one leaves and one drains, and nothing is lost or doubled", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const members = Membership.memoryBucket("1 second")
        const leaseBucket = PartitionLeases.memoryBucket("2 seconds")
        const shared = yield* Layer.build(
          Layer.mergeAll(
            EmbeddedEventBus.layerEmbedded,
            TopicsModule.layer("embedded"),
            DuckDbCheckpointStore.layerEmbedded.pipe(Layer.provide(DuckDb.layer(":memory:")), Layer.orDie),
            CorrelatorRegistry.layerMemory()
          )
        )
        // Each node has its own membership and lease clients on the shared buckets.
        const node = (nodeId: string, scope: Scope.Scope) =>
          supervisor(nodeId).pipe(
            Effect.provide(Layer.merge(Membership.layerMemory(members), PartitionLeases.layerMemory(leaseBucket))),
            Effect.provide(shared),
            Scope.extend(scope)
          )
        const bus = yield* Effect.provide(EventBus, shared)
        const topics = yield* Effect.provide(Topics, shared)
        const seen = new Set<string>()
        let published = 0
        yield* bus.consume(topics.correlations, { durable: "test", filterSubjects: [], maxBatch: 100 }, (batch) =>
          Effect.sync(() => {
            for (const { record: correlation } of batch) {
              published++
              seen.add(correlation.event.ID)
            }
          })
        )
        // The router runs where its lease is (slot Partitions); its progress shows on its durable.
        const routed = new Set<string>()
        yield* bus.consume(topics.matches, { durable: "test-matches", filterSubjects: [], maxBatch: 500 }, (batch) =>
          Effect.sync(() => {
            for (const { record: match } of batch) for (const entry of entriesOf(match)) if (entry.event !== undefined) routed.add(entry.event.ID)
          })
        )
        const failuresIn = (count: number) => events.slice(0, count).filter((event) => event.EventOutcome === "failure").length
        const publish = (slice: ReadonlyArray<NormalizedEvent>) => bus.publish(topics.events, slice.map((event) => ({ collectorId: CollectorId.make("fw"), event })))

        const scopeA = yield* Scope.make()
        const scopeB = yield* Scope.make()
        const a = yield* node("node-a", scopeA)
        const b = yield* node("node-b", scopeB)
        // Every partition and the router (one more slot) are held by one of them, and both hold
        // some: A may take every slot before B joins, then hands B its share.
        yield* until(() => {
          expect(a.held.size + b.held.size).toBe(Partitions + 1)
          expect(a.held.size).toBeGreaterThan(0)
          expect(b.held.size).toBeGreaterThan(0)
        })

        yield* publish(events.slice(0, 300))
        yield* until(() => expect(routed.size).toBe(failuresIn(300)))
        // B stops gracefully: it hands its partitions over from fresh checkpoints.
        yield* Scope.close(scopeB, Exit.void)
        expect(b.held.size).toBe(0)
        yield* until(() => expect(a.held.size).toBe(Partitions + 1))

        // A third node joins, takes its share; then it drains, and A has everything again.
        const scopeC = yield* Scope.make()
        const c = yield* node("node-c", scopeC)
        yield* until(() => expect(c.held.size).toBeGreaterThan(0))
        yield* publish(events.slice(300, 600))
        yield* until(() => expect(routed.size).toBe(failuresIn(600)))
        yield* c.drain
        expect(c.held.size).toBe(0)
        yield* until(() => expect(a.held.size).toBe(Partitions + 1))
        yield* publish(events.slice(600))
        yield* until(() => expect(routed.size).toBe(failuresIn(events.length)))

        const finalTime = events[events.length - 1]!.Timestamp + 120_000
        yield* bus.publish(topics.matches, Array.from({ length: Partitions }, (_, partition) => ({ correlatorId: spec.id, partition, streamTime: finalTime, markId: `final-${partition}` })))
        const whole = new CorrelatorEngine(spec)
        const expected = [...whole.processBatch(events).correlations, ...whole.tick(finalTime).correlations].map((correlation) => correlation.event.ID).sort()
        expect(expected.length).toBeGreaterThan(50)
        yield* until(() => expect([...seen].sort()).toEqual(expected))
        expect(a.stats.handedOver + b.stats.handedOver + c.stats.handedOver).toBeGreaterThan(0)
        expect(b.stats.handedOver).toBeGreaterThan(0)
        expect(c.stats.handedOver).toBeGreaterThan(0)
        // Re-emissions after handovers are duplicates by ID only; count them for the record.
        expect(published).toBeGreaterThanOrEqual(expected.length)
        yield* Scope.close(scopeC, Exit.void)
        yield* Scope.close(scopeA, Exit.void)
      })
    ), 60_000)
})
