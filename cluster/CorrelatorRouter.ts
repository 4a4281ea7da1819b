// The router stage of a partitioned correlator (DESIGN "The data path", 3): one router per
// correlator, on the node holding its lease, reads the events stream IN ORDER from its
// checkpoint, evaluates the correlator's selectors and publishes each matching event to the
// partitions of the (rule, group) pairs it matches, with the router's stream time; clock marks
// carry that time to quiet partitions. Reading in order (not a shared durable consumer, whose
// redeliveries come after newer events) is what keeps every partition's input in stream order,
// so a cluster correlates exactly as one node does.
import { Clock, Deferred, type Duration, Effect, Option, Schedule } from "effect"
import { randomUUID } from "node:crypto"
import { CorrelatorEngine } from "../actors/CorrelatorEngine.ts"
import type { CorrelatorSpec } from "../model/Rule.ts"
import { CheckpointStore, type CheckpointStoreError, type StaleEpoch } from "../storage/CheckpointStore.ts"
import { EventBus } from "./EventBus.ts"
import { Topics, type PartitionMatch } from "./Topics.ts"

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
}

export interface RouterStats {
  /** Events read (matching or not). */
  read: number
  routed: number
  /** The events-stream sequence routed so far. */
  lastSequence: number
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

/** Starts the router of `spec` in the current scope. */
export const start = (spec: CorrelatorSpec, options: RouterOptions) =>
  Effect.gen(function* () {
    const bus = yield* EventBus
    const topics = yield* Topics
    const checkpoints = yield* CheckpointStore
    // Selectors only: a router keeps no correlation state.
    const selectors = new CorrelatorEngine(spec)
    const out = new Int32Array(Math.max(1, spec.rules.length))
    const instance = randomUUID()
    const loaded = yield* checkpoints.load(spec.id, options.slot)
    let streamTime: number | null = Option.isSome(loaded) ? decodeTime(loaded.value.snapshot) : null
    let markedTime: number | null = null
    let marks = 0
    const stats: RouterStats = { read: 0, routed: 0, lastSequence: Option.isSome(loaded) ? loaded.value.sequence : 0 }
    let savedSequence = -1
    const superseded = yield* Deferred.make<StaleEpoch>()
    const permit = yield* Effect.makeSemaphore(1)
    const isSource = (tenantId: string, collectorId: string) =>
      spec.sources.some((source) => source.tenantId === tenantId && (source.collectorId === undefined || source.collectorId === collectorId))

    const checkpoint = permit.withPermits(1)(
      Effect.gen(function* () {
        if (stats.lastSequence === savedSequence) return
        const sequence = stats.lastSequence
        const savedAt = yield* Clock.currentTimeMillis
        yield* checkpoints.save({ correlatorId: spec.id, partition: options.slot, epoch: options.epoch, sequence, savedAt, snapshot: encodeTime(streamTime) })
        savedSequence = sequence
      }).pipe(Effect.tapError((error) => (error._tag === "StaleEpoch" ? Deferred.succeed(superseded, error) : Effect.void)))
    )

    yield* bus.read(topics.events, topics.events.subjects[0]!, stats.lastSequence + 1, 500, (batch) =>
      permit.withPermits(1)(
        Effect.gen(function* () {
          if (yield* Deferred.isDone(superseded)) return
          const matches: Array<PartitionMatch> = []
          let time = streamTime
          for (const { record } of batch) {
            const event = record.event
            if (!isSource(event.TenantID, record.collectorId)) continue
            const found = selectors.route(event, options.partitions, out)
            for (let i = 0; i < found; i++) matches.push({ correlatorId: spec.id, partition: out[i]!, streamTime: time, event })
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
      const records = Array.from({ length: options.partitions }, (_, partition): PartitionMatch => ({ correlatorId: spec.id, partition, streamTime: time, markId: `${instance}-${marks}` }))
      marks++
      return bus.publish(topics.matches, records).pipe(
        Effect.tap(() => Effect.sync(() => (markedTime = time))),
        Effect.catchAll((error) => Effect.logWarning(`router ${spec.id}: clock mark not published; the next one retries`, error))
      )
    })
    yield* mark.pipe(Effect.repeat(Schedule.spaced(options.markInterval)), Effect.forkScoped)
    yield* checkpoint.pipe(
      Effect.catchAll((error) => Effect.logWarning(`router ${spec.id}: position not saved; the next save retries`, error)),
      Effect.repeat(Schedule.spaced(options.checkpointEvery)),
      Effect.forkScoped
    )
    return { stats, checkpoint, superseded } satisfies Router
  })
