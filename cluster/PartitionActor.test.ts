// Partition actors on the embedded bus and store: routed through the correlator's router, two
// partitions emit exactly what one whole engine does; an owner handing over at a checkpoint
// loses and doubles nothing; a paused former owner is superseded and its output fenced. Rule
// revisions: an actor moves to a newer revision exactly at the first match stamped with it (and
// its checkpoints carry the revision, old ones read as revision 1); the router stamps what it
// routes and moves to a deployed revision between batches.
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
import * as CorrelatorRegistry from "./CorrelatorRegistry.ts"
import * as CorrelatorRouter from "./CorrelatorRouter.ts"
import { EventBus } from "./EventBus.ts"
import { FenceBook } from "./FenceBook.ts"
import * as PartitionActor from "./PartitionActor.ts"
import { Topics, type PartitionMatch } from "./Topics.ts"
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


const ports = Layer.mergeAll(
  EmbeddedEventBus.layerEmbedded,
  TopicsModule.layer("embedded"),
  DuckDbCheckpointStore.layerEmbedded.pipe(Layer.provide(DuckDb.layer(":memory:")), Layer.orDie),
  CorrelatorRegistry.layerMemory()
)

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
      for (const { sequence, record: correlation } of batch) seen.push({
          id: correlation.event.ID,
          admitted: fences.admit(correlation.correlatorId, correlation.fence, sequence),
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

  it.live("a partition applies each source sequence once, however a router that routes again cuts its batches", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const bus = yield* EventBus
        const topics = yield* Topics
        const seen = yield* collectCorrelations
        const single: PartitionActor.PartitionActorOptions = { ...options(0, 1), partitions: 1 }
        const actor = yield* PartitionActor.run(single)
        const entry = (index: number) => ({ streamTime: index === 0 ? null : events[index - 1]!.Timestamp, event: events[index]!, source: index + 1 })
        const record = (from: number, to: number): PartitionMatch => {
          const [first, ...more] = Array.from({ length: to - from }, (_, offset) => entry(from + offset))
          return { correlatorId: spec.id, partition: 0, ...first!, more }
        }
        // Routed 0-199 in two batches, then again from 100 (a restarted router) in other cuts.
        yield* bus.publish(topics.matches, [record(0, 120), record(120, 200), record(100, 150), record(150, 260), record(260, 300)])
        yield* until(() => expect(actor.stats.applied).toBe(300))
        const whole = new CorrelatorEngine(spec)
        const expected = whole.processBatch(events.slice(0, 300)).correlations.map((c) => c.event.ID).sort()
        yield* until(() => expect(seen.map((one) => one.id).sort()).toEqual(expected))
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

describe("PartitionActor and CorrelatorRouter across rule revisions", () => {
  // Revision 2 raises "spray"'s threshold and leaves "guessing" as it was.
  const raised = Schema.decodeUnknownSync(CorrelatorSpec)({
    ...Schema.encodeSync(CorrelatorSpec)(spec),
    rules: Schema.encodeSync(CorrelatorSpec)(spec).rules.map((rule) =>
      rule.id === "spray" && rule.kind === "standard" ? { ...rule, selectors: rule.selectors.map((selector) => ({ ...selector, threshold: 6 })) } : rule
    )
  })
  const single = (epoch: number): PartitionActor.PartitionActorOptions => ({ ...options(0, epoch), partitions: 1 })
  // What the partition is sent: events 0-299 stamped 1 (the first 100 without a stamp, as records
  // from before revisions), the rest stamped 2, each with the stream time before it.
  const switchAt = 300
  const matches: Array<PartitionMatch> = events.map((event, index) => ({
    correlatorId: spec.id,
    partition: 0,
    streamTime: index === 0 ? null : events[index - 1]!.Timestamp,
    event,
    ...(index < 100 ? {} : { revision: index < switchAt ? 1 : 2 })
  }))
  const finalTime = events[events.length - 1]!.Timestamp + 120_000

  /** The engine of revision 1 up to the switch, then moved to revision 2, fed as the actor feeds it. */
  const expectedIds = () => {
    let engine = new CorrelatorEngine(spec)
    const ids: Array<string> = []
    matches.forEach((match, index) => {
      if (index === switchAt) engine = CorrelatorEngine.reloaded(engine, raised)
      if (match.streamTime !== null) ids.push(...engine.tick(match.streamTime).correlations.map((c) => c.event.ID))
      ids.push(...engine.processBatch([match.event!]).correlations.map((c) => c.event.ID))
    })
    ids.push(...engine.tick(finalTime).correlations.map((c) => c.event.ID))
    return ids.sort()
  }

  const publishMatches = (records: ReadonlyArray<PartitionMatch>) =>
    Effect.gen(function* () {
      const bus = yield* EventBus
      const topics = yield* Topics
      yield* bus.publish(topics.matches, records)
    })

  it.live("an actor moves to revision 2 at the first match stamped 2, keeping the unchanged rule's groups; a successor restores under revision 2", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const registry = yield* CorrelatorRegistry.CorrelatorRegistry
        expect((yield* registry.seed(spec)).revision).toBe(1)
        expect(yield* registry.deploy(raised)).toBe(2)
        const seen = yield* collectCorrelations
        const firstScope = yield* Scope.make()
        const first = yield* PartitionActor.run(single(1)).pipe(Scope.extend(firstScope))
        yield* publishMatches(matches.slice(0, switchAt))
        yield* until(() => expect(first.stats.applied).toBe(switchAt))
        expect(first.stats.revision).toBe(1)
        const guessingGroups = first.engine.groupState("guessing", "10.0.0.3")
        expect(guessingGroups).toBeDefined()
        expect(first.engine.groupState("spray", "user1")).toBeDefined()

        yield* publishMatches(matches.slice(switchAt, switchAt + 1))
        yield* until(() => expect(first.stats.applied).toBe(switchAt + 1))
        expect(first.stats.revision).toBe(2)
        expect(first.engine.spec).toEqual(raised)
        // The event after the switch (index 300: 10.0.0.1 / user6) did not touch these groups.
        expect(first.engine.groupState("guessing", "10.0.0.3")).toEqual(guessingGroups)
        expect(first.engine.groupState("spray", "user1")).toBeUndefined()

        // Handover under revision 2: the successor restores revision 2's spec from the registry.
        yield* first.checkpoint
        yield* Scope.close(firstScope, Exit.void)
        const second = yield* PartitionActor.run(single(2))
        expect([second.stats.restoredSequence, second.stats.revision]).toEqual([switchAt + 1, 2])
        yield* publishMatches(matches.slice(switchAt + 1))
        yield* publishMatches([{ correlatorId: spec.id, partition: 0, streamTime: finalTime, markId: "final", revision: 2 }])
        const expected = expectedIds()
        expect(expected.length).toBeGreaterThan(30)
        yield* until(() => expect([...new Set(seen.map((entry) => entry.id))].sort()).toEqual(expected))
      }).pipe(Effect.provide(ports))
    ), 30_000)

  it.live("a checkpoint from before revisions (a bare engine snapshot) restores as revision 1", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const checkpoints = yield* CheckpointStore
        const engine = new CorrelatorEngine(spec)
        engine.processBatch(events.slice(0, 50))
        yield* checkpoints.save({ correlatorId: spec.id, partition: 0, epoch: 1, sequence: 50, savedAt: 0, snapshot: engine.snapshot() })
        const registry = yield* CorrelatorRegistry.CorrelatorRegistry
        yield* registry.seed(spec)
        expect(yield* registry.deploy(raised)).toBe(2)
        // The actor is told the registry's current revision is 2; the checkpoint's state is of 1.
        const actor = yield* PartitionActor.run({ ...single(2), spec: raised, revision: 2 })
        expect([actor.stats.restoredSequence, actor.stats.revision, actor.engine.liveGroups]).toEqual([50, 1, engine.liveGroups])
        expect(actor.engine.spec).toEqual(spec)
      }).pipe(Effect.provide(ports))
    ), 30_000)

  it.live("the router stamps each match and mark with its revision and moves to a deployed revision between batches: stamps never go back", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const registry = yield* CorrelatorRegistry.CorrelatorRegistry
        const bus = yield* EventBus
        const topics = yield* Topics
        const deployed = yield* registry.seed(spec)
        const stamps: Array<number | undefined> = []
        yield* bus.consume(topics.matches, { durable: "stamps", filterSubjects: [], maxBatch: 500 }, (batch) => Effect.sync(() => stamps.push(...batch.map(({ record: match }) => match.revision))))
        const router = yield* CorrelatorRouter.start(deployed.spec, { partitions: 2, markInterval: "50 millis", epoch: 1, slot: 2, checkpointEvery: "1 second", revision: deployed.revision })
        yield* publishEvents(events.slice(0, 200))
        yield* until(() => expect(router.stats.read).toBe(200))
        expect(yield* registry.deploy(raised)).toBe(2)
        for (let start = 200; start < events.length; start += 50) yield* publishEvents(events.slice(start, start + 50))
        yield* until(() => expect(router.stats.read).toBe(events.length))
        expect(router.stats.revision).toBe(2)
        yield* until(() => expect(stamps.filter((stamp) => stamp === 2).length).toBeGreaterThan(0))
        expect(stamps.every((stamp) => stamp === 1 || stamp === 2)).toBe(true)
        const firstOfTwo = stamps.indexOf(2)
        expect(stamps.slice(firstOfTwo).every((stamp) => stamp === 2)).toBe(true)
        expect(stamps.slice(0, firstOfTwo).filter((stamp) => stamp === 1).length).toBeGreaterThan(0)
      }).pipe(Effect.provide(ports))
    ), 30_000)
})
