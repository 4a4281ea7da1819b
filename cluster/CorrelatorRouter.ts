// The router stage of a partitioned correlator (DESIGN "The data path", 3): one router per
// correlator, on the node holding its lease, reads the events stream IN ORDER from its
// checkpoint, evaluates the correlator's selectors and publishes each matching event to the
// partitions of the (rule, group) pairs it matches, with the router's stream time; clock marks
// carry that time to quiet partitions. Reading in order (not a shared durable consumer, whose
// redeliveries come after newer events) is what keeps every partition's input in stream order,
// so a cluster correlates exactly as one node does.
// Rules change at one stream position: the router routes with one revision of the correlator at a
// time, stamps every match and mark with it, and moves to a newer revision from the registry only
// between batches; each partition switches when it meets the first match of the new revision.
// A selector reading an active list cannot be judged here (the records live in the partition's
// engine, not the router's): a correlator with one sends every event it takes to its one partition.
import { Clock, Deferred, type Duration, Effect, Option, Schedule, Stream } from "effect"
import { randomUUID } from "node:crypto"
import { CorrelatorEngine } from "../actors/CorrelatorEngine.ts"
import type { Filter } from "../model/Filter.ts"
import type { CorrelatorSpec } from "../model/Rule.ts"
import { CheckpointStore, type CheckpointStoreError, type StaleEpoch } from "../storage/CheckpointStore.ts"
import { CorrelatorRegistry } from "./CorrelatorRegistry.ts"
import { EventBus } from "./EventBus.ts"
import { Topics, type CollectedEvent, type PartitionMatch } from "./Topics.ts"

export interface RouterOptions {
  /** The correlator's partition count. */
  readonly partitions: number
  /** Time between clock marks to every partition; none when stream time did not move. */
  readonly markInterval: Duration.DurationInput
  /** The lease epoch this router runs under (0 when unleased, in tests). */
  readonly epoch: number
  /** Where the router saves its position: this slot of the correlator's checkpoints. */
  readonly slot: number
  /** Position saves; re-routed events after a restart fall inside the bus's de-duplication window. */
  readonly checkpointEvery: Duration.DurationInput
  /** The registry revision `spec` is; the router starts routing under it. Default 1. */
  readonly revision?: number
}

export interface RouterStats {
  /** Events read (matching or not). */
  read: number
  routed: number
  /** The events-stream sequence routed so far. */
  lastSequence: number
  /** The position last saved; a successor starts after it. */
  checkpointSequence: number
  /** The correlator revision it routes (and stamps matches) under now. */
  revision: number
}

export interface Router {
  readonly stats: RouterStats
  /** Saves the position now (a handover calls it). */
  readonly checkpoint: Effect.Effect<void, StaleEpoch | CheckpointStoreError>
  /** Completes when a save was refused for a newer epoch: another node routes now. */
  readonly superseded: Deferred.Deferred<StaleEpoch>
}

// The position's snapshot is the stream time: 8 bytes, NaN for none yet.
const encodeTime = (time: number | null): Uint8Array => {
  const bytes = new Uint8Array(8)
  new DataView(bytes.buffer).setFloat64(0, time ?? Number.NaN)
  return bytes
}
const decodeTime = (bytes: Uint8Array): number | null => {
  if (bytes.byteLength !== 8) return null
  const time = new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0)
  return Number.isNaN(time) ? null : time
}

/** What the router routes with: one revision's selectors and sources. */
interface Routing {
  readonly revision: number
  readonly spec: CorrelatorSpec
  /** Selectors only: a router keeps no correlation state. */
  readonly selectors: CorrelatorEngine
  /** Some selector reads an active list: every event taken goes to partition 0 (the only one). */
  readonly everyEvent: boolean
  readonly out: Int32Array
}

const filterReadsActiveList = (filter: Filter): boolean => {
  if ("and" in filter) return filter.and.some(filterReadsActiveList)
  if ("or" in filter) return filter.or.some(filterReadsActiveList)
  if ("not" in filter) return filterReadsActiveList(filter.not)
  return filter.op === "inActiveList"
}

/** Whether a selector's answer depends on active-list records, which only the partition's engine holds. */
const readsActiveLists = (spec: CorrelatorSpec): boolean =>
  spec.rules.some((rule) => (rule.kind === "standard" ? rule.selectors.some((selector) => filterReadsActiveList(selector.filter)) : filterReadsActiveList(rule.selector.filter)))

const routingOf = (revision: number, spec: CorrelatorSpec): Routing => ({
  revision,
  spec,
  selectors: new CorrelatorEngine(spec),
  everyEvent: readsActiveLists(spec),
  out: new Int32Array(Math.max(1, spec.rules.length))
})

/** Starts the router of `spec` in the current scope. */
export const start = (spec: CorrelatorSpec, options: RouterOptions) =>
  Effect.gen(function* () {
    const bus = yield* EventBus
    const topics = yield* Topics
    const checkpoints = yield* CheckpointStore
    const registry = yield* CorrelatorRegistry
    let routing = routingOf(options.revision ?? 1, spec)
    // The newest revision the registry announced; the router moves to it between batches.
    let announced = routing.revision
    const instance = randomUUID()
    const loaded = yield* checkpoints.load(spec.id, options.slot)
    let streamTime: number | null = Option.isSome(loaded) ? decodeTime(loaded.value.snapshot) : null
    let markedTime: number | null = null
    let marks = 0
    const restoredSequence = Option.isSome(loaded) ? loaded.value.sequence : 0
    const stats: RouterStats = { read: 0, routed: 0, lastSequence: restoredSequence, checkpointSequence: restoredSequence, revision: routing.revision }
    let savedSequence = -1
    const superseded = yield* Deferred.make<StaleEpoch>()
    const permit = yield* Effect.makeSemaphore(1)
    const isSource = (record: CollectedEvent) =>
      record.forwardedTo !== undefined
        ? record.forwardedTo.includes(spec.id)
        : routing.spec.sources.some((source) => source.tenantId === record.event.TenantID && (source.collectorId === undefined || source.collectorId === record.collectorId))

    // A failed read leaves the router on the revision it has; the batch is handed again.
    const followRegistry = Effect.gen(function* () {
      if (announced <= routing.revision) return
      const revision = announced
      const next = yield* registry.at(spec.id, revision)
      if (Option.isNone(next)) return yield* Effect.logWarning(`router ${spec.id}: revision ${revision} was announced but is not in the registry; routing stays on ${routing.revision}`)
      routing = routingOf(revision, next.value)
      stats.revision = revision
      yield* Effect.logInfo(`router ${spec.id}: routing under revision ${revision} from sequence ${stats.lastSequence + 1}`)
    })

    const checkpoint = permit.withPermits(1)(
      Effect.gen(function* () {
        if (stats.lastSequence === savedSequence) return
        const sequence = stats.lastSequence
        const savedAt = yield* Clock.currentTimeMillis
        yield* checkpoints.save({ correlatorId: spec.id, partition: options.slot, epoch: options.epoch, sequence, savedAt, snapshot: encodeTime(streamTime) })
        savedSequence = sequence
        stats.checkpointSequence = sequence
      }).pipe(Effect.tapError((error) => (error._tag === "StaleEpoch" ? Deferred.succeed(superseded, error) : Effect.void)))
    )

    yield* bus.read(topics.events, topics.events.subjects[0]!, stats.lastSequence + 1, 500, (batch) =>
      permit.withPermits(1)(
        Effect.gen(function* () {
          if (yield* Deferred.isDone(superseded)) return
          // Between batches only: every match of one batch carries the same revision.
          yield* followRegistry
          const { selectors, out, revision, everyEvent } = routing
          // Active lists make a correlator unpartitionable (actors/Partitioning.ts): one partition, 0.
          if (everyEvent) out[0] = 0
          // One record per match: grouping a batch's matches per partition (the record's `more`)
          // measured slower, handoff p99 1.4-2.5 s against 1.0 s back to back (RESULTS.md).
          const matches: Array<PartitionMatch> = []
          let time = streamTime
          for (const { sequence, record } of batch) {
            const event = record.event
            if (!isSource(record)) continue
            const found = everyEvent ? 1 : selectors.route(event, options.partitions, out)
            for (let i = 0; i < found; i++) matches.push({ correlatorId: spec.id, partition: out[i]!, streamTime: time, event, source: sequence, revision })
            time = time === null ? event.Timestamp : Math.max(time, event.Timestamp)
          }
          // Stream time and position move only once the batch is on the bus: a clock mark never
          // overtakes the events it would make late, and a checkpoint never skips unrouted ones.
          yield* bus.publish(topics.matches, matches)
          streamTime = time
          stats.read += batch.length
          stats.routed += matches.length
          stats.lastSequence = batch[batch.length - 1]!.sequence
        })
      )
    )
    const mark = Effect.suspend(() => {
      if (streamTime === null || streamTime === markedTime) return Effect.void
      const time = streamTime
      const revision = routing.revision
      const records = Array.from({ length: options.partitions }, (_, partition): PartitionMatch => ({ correlatorId: spec.id, partition, streamTime: time, markId: `${instance}-${marks}`, revision }))
      marks++
      return bus.publish(topics.matches, records).pipe(
        Effect.tap(() => Effect.sync(() => (markedTime = time))),
        Effect.catchAll((error) => Effect.logWarning(`router ${spec.id}: clock mark not published; the next one retries`, error))
      )
    })
    yield* mark.pipe(Effect.repeat(Schedule.spaced(options.markInterval)), Effect.forkScoped)
    yield* registry.changes(spec.id).pipe(
      Stream.runForEach((revision) => Effect.sync(() => (announced = Math.max(announced, revision)))),
      Effect.tapError((error) => Effect.logWarning(`router ${spec.id}: registry watch failed; watching again`, error)),
      Effect.retry(Schedule.spaced("1 second")),
      Effect.forkScoped
    )
    yield* checkpoint.pipe(
      Effect.catchAll((error) => Effect.logWarning(`router ${spec.id}: position not saved; the next save retries`, error)),
      Effect.repeat(Schedule.spaced(options.checkpointEvery)),
      Effect.forkScoped
    )
    return { stats, checkpoint, superseded } satisfies Router
  })
