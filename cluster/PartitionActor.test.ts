// Partition actors on the embedded bus and store: routed through the correlator's router, two
// partitions emit exactly what one whole engine does; an owner handing over at a checkpoint
// loses and doubles nothing; a paused former owner is superseded and its output fenced.
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Layer, Schema, Scope } from "effect"
import { CorrelatorEngine } from "../actors/CorrelatorEngine.ts"
import type { NormalizedEvent } from "../model/Event.ts"
import { CollectorId, TenantId } from "../model/Ids.ts"
import { CorrelatorSpec } from "../model/Rule.ts"
import { CheckpointStore } from "../storage/CheckpointStore.ts"
import * as DuckDb from "../storage/embedded/DuckDb.ts"
import * as DuckDbCheckpointStore from "../storage/embedded/DuckDbCheckpointStore.ts"
import { until } from "../test/support/eventually.ts"
import * as EmbeddedEventBus from "./bus/EmbeddedEventBus.ts"
import * as CorrelatorRouter from "./CorrelatorRouter.ts"
import { EventBus } from "./EventBus.ts"
import { FenceBook } from "./FenceBook.ts"
import * as PartitionActor from "./PartitionActor.ts"
import { Topics } from "./Topics.ts"
import * as TopicsModule from "./Topics.ts"

const tenant = TenantId.make("tenant-2")
const collector = CollectorId.make("fw")
const t0 = Date.UTC(2026, 10, 22, 12, 0, 0)

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
    },
    {
      kind: "standard",
      id: "spray",
      name: "Password spraying",
      selectors: [{ filter: { field: "EventOutcome", op: "=", value: "failure" }, threshold: 4 }],
      identicalFields: ["DestinationUserName"],
      uniqueFields: ["SourceAddress"],
      windowSeconds: 60,
      actions: [{ trigger: "onFirstThreshold" }]
    }
  ]
})

const events: Array<NormalizedEvent> = Array.from({ length: 600 }, (_, index) => ({
  ID: `00000000-0000-4000-8000-${(index + 1).toString(16).padStart(12, "0")}`,
  Timestamp: t0 + index * 400,
  TenantID: tenant,
  Type: 1,
  EventOutcome: index % 5 === 0 ? "success" : "failure",
  SourceAddress: `10.0.0.${index % 13}`,
  DestinationUserName: `user${index % 7}`
}))

/** What one whole engine emits for the stream, closed by a final clock mark. */
const expectedIds = (finalTime: number) => {
  const whole = new CorrelatorEngine(spec)
  return [...whole.processBatch(events).correlations, ...whole.tick(finalTime).correlations].map((c) => c.event.ID).sort()
}


const ports = Layer.mergeAll(EmbeddedEventBus.layerEmbedded, TopicsModule.layer("embedded"), DuckDbCheckpointStore.layerEmbedded.pipe(Layer.provide(DuckDb.layer(":memory:")), Layer.orDie))

const publishEvents = (batch: ReadonlyArray<NormalizedEvent>) =>
  Effect.gen(function* () {
    const bus = yield* EventBus
    const topics = yield* Topics
    yield* bus.publish(topics.events, batch.map((event) => ({ collectorId: collector, event })))
  })

/** Every correlation published, in stream order, and the fence book that the alert service would keep. */
const collectCorrelations = Effect.gen(function* () {
  const bus = yield* EventBus
  const topics = yield* Topics
  const seen: Array<{ id: string; admitted: boolean; partition: number | undefined; epoch: number | undefined }> = []
  const fences = new FenceBook()
  yield* bus.consume(topics.correlations, { durable: "test-collector", filterSubjects: [], maxBatch: 100 }, (batch) =>
    Effect.sync(() => {
      for (const correlation of batch) seen.push({
          id: correlation.event.ID,
          admitted: fences.admit(correlation.correlatorId, correlation.fence),
          partition: correlation.fence?.partition,
          epoch: correlation.fence?.epoch
        })
    })
  )
  return seen
})

const options = (partition: number, epoch: number): PartitionActor.PartitionActorOptions => ({
  spec,
  partition,
  partitions: 2,
  epoch,
  checkpointEvery: { matches: 50, interval: "200 millis" },
  maxBatch: 40
})

const finalMark = (time: number) =>
  Effect.gen(function* () {
    const bus = yield* EventBus
    const topics = yield* Topics
    yield* bus.publish(topics.matches, [0, 1].map((partition) => ({ correlatorId: spec.id, partition, streamTime: time, markId: `final-${partition}` })))
  })

describe("PartitionActor", () => {
  it.live("router + two partition actors emit exactly the whole engine's correlation events", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const seen = yield* collectCorrelations
        const router = yield* CorrelatorRouter.start(spec, { partitions: 2, markInterval: "100 millis", epoch: 1, slot: 2, checkpointEvery: "1 second" })
        const actors = [yield* PartitionActor.run(options(0, 1)), yield* PartitionActor.run(options(1, 1))]
        for (let start = 0; start < events.length; start += 100) yield* publishEvents(events.slice(start, start + 100))
        // The last mark closes every window: it must follow every routed event.
        yield* until(() => expect(router.stats.read).toBe(events.length))
        const finalTime = events[events.length - 1]!.Timestamp + 120_000
        yield* finalMark(finalTime)
        const expected = expectedIds(finalTime)
        expect(expected.length).toBeGreaterThan(30)
        yield* until(() => expect([...new Set(seen.map((entry) => entry.id))].sort()).toEqual(expected))
        // Each partition took part, and checkpoints were written.
        for (const actor of actors) {
          expect(actor.stats.correlations).toBeGreaterThan(0)
          yield* until(() => expect(actor.stats.checkpoints).toBeGreaterThan(0))
        }
      }).pipe(Effect.provide(ports))
    ), 30_000)

  it.live("a new owner restores the checkpoint, replays after it and re-emits only duplicates; the old owner is superseded and fenced", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const seen = yield* collectCorrelations
        const router = yield* CorrelatorRouter.start(spec, { partitions: 2, markInterval: "100 millis", epoch: 1, slot: 2, checkpointEvery: "1 second" })
        yield* PartitionActor.run(options(1, 1))
        // Partition 0's first owner handles the first half, checkpoints and is stopped (handoff).
        const firstScope = yield* Scope.make()
        const first = yield* PartitionActor.run(options(0, 1)).pipe(Scope.extend(firstScope))
        yield* publishEvents(events.slice(0, 300))
        yield* until(() => expect(first.stats.applied).toBeGreaterThan(40))
        yield* first.checkpoint
        const handedOverAt = first.stats.checkpointSequence
        expect(handedOverAt).toBeGreaterThan(0)

        // The successor starts from that checkpoint under a higher epoch.
        const second = yield* PartitionActor.run(options(0, 2))
        expect(second.stats.restoredSequence).toBe(handedOverAt)
        yield* second.checkpoint

        // The first owner was only paused: it goes on reading, and its next checkpoint (on the
        // schedule, once it has progress) is refused; from then on it applies nothing.
        yield* publishEvents(events.slice(300))
        yield* until(() => expect(router.stats.read).toBe(events.length))
        const refused = yield* Deferred.await(first.superseded).pipe(Effect.timeout("20 seconds"))
        expect(refused).toMatchObject({ _tag: "StaleEpoch", stored: 2, offered: 1 })
        const appliedWhenSuperseded = first.stats.applied
        const finalTime = events[events.length - 1]!.Timestamp + 120_000
        yield* finalMark(finalTime)
        const expected = expectedIds(finalTime)
        yield* until(() => expect([...new Set(seen.filter((entry) => entry.admitted).map((entry) => entry.id))].sort()).toEqual(expected))
        expect(first.stats.applied).toBe(appliedWhenSuperseded)
        // Whatever the old owner wrote after the successor's first record was refused by the fence.
        const partitionZero = seen.filter((entry) => entry.partition === 0)
        const firstOfSecond = partitionZero.findIndex((entry) => entry.epoch === 2)
        expect(firstOfSecond).toBeGreaterThanOrEqual(0)
        for (const entry of partitionZero.slice(firstOfSecond)) if (entry.epoch === 1) expect(entry.admitted).toBe(false)
        const checkpoints = yield* CheckpointStore
        const stored = yield* checkpoints.load(spec.id, 0)
        expect(stored._tag === "Some" && stored.value.epoch).toBe(2)
        yield* Scope.close(firstScope, Exit.void)
      }).pipe(Effect.provide(ports))
    ), 30_000)
})
