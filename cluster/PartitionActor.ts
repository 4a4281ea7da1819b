// One correlator partition on the node that holds its lease (DESIGN "Distribution"): it loads
// the partition's checkpoint, replays the partition's matches from the next stream sequence,
// drives the engine with the routers' stream time, publishes correlation events fenced by its
// lease epoch, and checkpoints on a schedule and on demand (handoff). A checkpoint refused for a
// newer epoch means the lease moved on: the actor stops applying and says so.
// Rules change at a stream position: each match carries the correlator revision the router routed
// it under, and the actor moves its engine to a newer revision (one revision at a time, keeping
// the state of unchanged rules) before applying the first match of it. A checkpoint records the
// revision its state is under, so replay from it meets every switch at the same position again.
// Imports into active lists arrive on the same subject and are applied at their stream position.
import { Clock, Deferred, Duration, Effect, Option, Schedule } from "effect"
import { CorrelatorEngine } from "../actors/CorrelatorEngine.ts"
import type { CorrelatorSpec } from "../model/Rule.ts"
import type { CollectorId } from "../model/Ids.ts"
import { CheckpointStore, type CheckpointStoreError, type StaleEpoch } from "../storage/CheckpointStore.ts"
import { CorrelatorRegistry, CorrelatorRegistryError } from "./CorrelatorRegistry.ts"
import { EventBus, type Sequenced } from "./EventBus.ts"
import { revisionOf, Topics, type CollectedEvent, type CorrelationRecord, type ListImport, type MatchEntry, type PartitionMatch } from "./Topics.ts"


/** The correlation events a rule sends to other correlators, as events addressed to them. */
const forwardedOf = (records: ReadonlyArray<CorrelationRecord>): Array<CollectedEvent> => {
  const forwarded: Array<CollectedEvent> = []
  for (const record of records) {
    if (record.sendTo.length > 0) forwarded.push({ collectorId: record.correlatorId as string as CollectorId, event: record.event, forwardedTo: record.sendTo })
  }
  return forwarded
}

export interface PartitionActorOptions {
  /** The correlator at revision `revision` (what the registry holds now); other revisions come from the registry. */
  readonly spec: CorrelatorSpec
  /** Default 1. */
  readonly revision?: number
  readonly partition: number
  readonly partitions: number
  /** The lease epoch this owner holds the partition under. */
  readonly epoch: number
  /** A checkpoint after this many applied matches, or this long after the last one if anything moved. */
  readonly checkpointEvery: { readonly matches: number; readonly interval: Duration.DurationInput }
  readonly maxBatch?: number
}

/** Progress of a running partition actor. */
export interface PartitionActorStats {
  /** Matches (events and clock marks) applied. */
  applied: number
  correlations: number
  /** The stream sequence the engine's state covers; 0 before any. */
  lastSequence: number
  /** Where the checkpoint it loaded left off; replay started after it. */
  restoredSequence: number
  checkpoints: number
  checkpointSequence: number
  /** The correlator revision the engine's state is under. */
  revision: number
}

export interface PartitionActor {
  readonly stats: PartitionActorStats
  /** The partition's engine now (a reload replaces it): for inspecting a group's state by key. */
  readonly engine: CorrelatorEngine
  /** Saves a checkpoint of everything applied so far (a handoff calls it before releasing the lease). */
  readonly checkpoint: Effect.Effect<void, StaleEpoch | CheckpointStoreError>
  /** Completes when a checkpoint was refused for a newer epoch: the lease is someone else's. */
  readonly superseded: Deferred.Deferred<StaleEpoch>
}

/** Runs the partition for the scope's lifetime. */
export const run = (options: PartitionActorOptions) =>
  Effect.gen(function* () {
    const bus = yield* EventBus
    const topics = yield* Topics
    const checkpoints = yield* CheckpointStore
    const registry = yield* CorrelatorRegistry
    const { spec, partition, epoch } = options
    const slice = { index: partition, count: options.partitions }
    const specs = new Map<number, CorrelatorSpec>([[options.revision ?? 1, spec]])
    const specAt = (revision: number) =>
      Effect.gen(function* () {
        const known = specs.get(revision)
        if (known !== undefined) return known
        const stored = yield* registry.at(spec.id, revision)
        if (Option.isNone(stored)) return yield* new CorrelatorRegistryError({ message: `revision ${revision} of correlator ${spec.id} is not in the registry` })
        specs.set(revision, stored.value)
        return stored.value
      })
    const loaded = yield* checkpoints.load(spec.id, partition)
    // A fresh partition replays its subject from the start, so it starts where the subject does:
    // at revision 1, moving on as the matches say (whatever the registry's current revision).
    const restored = Option.isSome(loaded) ? decodeCheckpoint(loaded.value.snapshot) : { revision: 1, source: 0, engine: undefined }
    let revision = restored.revision
    // The highest events-stream sequence applied: a router routing again from its saved position
    // repeats events, in batches cut differently; each source sequence is applied once.
    let appliedSource = restored.source
    const restoredSpec = yield* specAt(revision)
    let engine = restored.engine !== undefined ? CorrelatorEngine.restore(restoredSpec, restored.engine, { partition: slice }) : new CorrelatorEngine(restoredSpec, { partition: slice })
    const restoredSequence = Option.isSome(loaded) ? loaded.value.sequence : 0
    const stats: PartitionActorStats = {
      applied: 0,
      correlations: 0,
      lastSequence: restoredSequence,
      restoredSequence,
      checkpoints: 0,
      checkpointSequence: restoredSequence,
      revision
    }
    const superseded = yield* Deferred.make<StaleEpoch>()
    // A checkpoint must see the engine, the published output and lastSequence agree: applying a
    // batch and taking a snapshot never interleave.
    const permit = yield* Effect.makeSemaphore(1)
    const fence = { partition, epoch }

    // What the engine has applied, and the output of it not yet published: a retried batch (the
    // bus failed to take the output) is not applied twice, only published again.
    let engineSequence = restoredSequence
    let pending: Array<CorrelationRecord> = []

    const save = Effect.gen(function* () {
      // Only a state whose output is all published may be saved; and an unchanged one need not be.
      if (pending.length > 0 || engineSequence !== stats.lastSequence) return
      if (stats.lastSequence === stats.checkpointSequence && stats.checkpoints > 0) return
      const savedAt = yield* Clock.currentTimeMillis
      const sequence = stats.lastSequence
      yield* checkpoints.save({ correlatorId: spec.id, partition, epoch, sequence, savedAt, snapshot: encodeCheckpoint(revision, appliedSource, engine.snapshot()) })
      stats.checkpoints++
      stats.checkpointSequence = sequence
    }).pipe(Effect.tapError((error) => (error._tag === "StaleEpoch" ? Deferred.succeed(superseded, error) : Effect.void)))
    const checkpoint = permit.withPermits(1)(save)

    // Each events-stream sequence once: a router routing again from its saved position repeats some.
    const applyEntry = (entry: MatchEntry) => {
      if (entry.source !== undefined) {
        if (entry.source <= appliedSource) return
        appliedSource = entry.source
      }
      if (entry.streamTime !== null) for (const correlation of engine.tick(entry.streamTime).correlations) pending.push({ ...correlation, fence })
      if (entry.event !== undefined) for (const correlation of engine.processBatch([entry.event]).correlations) pending.push({ ...correlation, fence })
      if (entry.listImport !== undefined) applyImport(entry.listImport)
      stats.applied++
    }

    // Imports the engine refused (a list the revision it runs does not declare), logged after the
    // batch; refusing is as deterministic as applying, so a replay refuses them again.
    let refusedImports: Array<ListImport> = []
    const applyImport = (listImport: ListImport) => {
      // A deletion first, then the records: one entry of either kind (a deletion carries no records).
      const deleted = listImport.deleteKeys === undefined || engine.deleteActiveListRecords(listImport.list, listImport.deleteKeys)
      const applied = deleted && engine.importActiveList(listImport.list, listImport.records, { clear: listImport.clear, fallbackTime: listImport.at })
      if (!applied) refusedImports.push(listImport)
    }

    const apply = (batch: ReadonlyArray<Sequenced<PartitionMatch>>) =>
      permit.withPermits(1)(
        Effect.gen(function* () {
          // Superseded: the successor replays these; applying them here would only race it.
          if (yield* Deferred.isDone(superseded)) return
          for (const { sequence, record } of batch) {
            if (sequence <= engineSequence) continue
            // A match of an older revision (routed again after a router handover) is applied
            // under the engine's revision: revisions never go back.
            const stamped = revisionOf(record)
            while (stamped > revision) {
              // A failed read fails the batch: it is handed again and resumes after what is applied.
              const next = yield* specAt(revision + 1)
              engine = CorrelatorEngine.reloaded(engine, next)
              revision++
              stats.revision = revision
            }
            // Per match, without an array of entries: routers send one entry per record.
            applyEntry(record)
            if (record.more !== undefined) for (const entry of record.more) applyEntry(entry)
            engineSequence = sequence
          }
          if (refusedImports.length > 0) {
            const refused = refusedImports
            refusedImports = []
            for (const listImport of refused) yield* Effect.logWarning(`partition ${spec.id}/${partition}: import ${listImport.importId} refused: the correlator has no active list ${listImport.list}`)
          }
          // Published before the position moves: a checkpoint never covers unpublished output.
          yield* bus.publish(topics.correlations, pending)
          // Sent on to other correlators through the events stream (their routers take only what is
          // addressed to them); by the correlation event's ID, a retried batch is de-duplicated.
          const forwarded = forwardedOf(pending)
          if (forwarded.length > 0) yield* bus.publish(topics.events, forwarded)
          stats.correlations += pending.length
          pending = []
          stats.lastSequence = engineSequence
          if (stats.lastSequence - stats.checkpointSequence >= options.checkpointEvery.matches) {
            // A failed checkpoint costs replay time later, never this batch.
            yield* save.pipe(Effect.catchTag("CheckpointStoreError", (error) => Effect.logWarning(`partition ${spec.id}/${partition}: checkpoint failed`, error)))
          }
        })
      )

    yield* bus.read(topics.matches, topics.matchSubject(spec.id, partition), restoredSequence + 1, options.maxBatch ?? 500, apply)
    yield* checkpoint.pipe(
      Effect.catchAll((error) => Effect.logWarning(`partition ${spec.id}/${partition}: scheduled checkpoint failed`, error)),
      Effect.repeat(Schedule.spaced(options.checkpointEvery.interval)),
      Effect.delay(options.checkpointEvery.interval),
      Effect.forkScoped
    )
    return {
      stats,
      get engine() {
        return engine
      },
      checkpoint,
      superseded
    } satisfies PartitionActor
  })

// A checkpoint's snapshot: "CRVQ", the revision the state is under, the highest events-stream
// sequence applied, then the engine's snapshot (which starts "CRVS"). Read as well: "CRVR" with
// the revision only (before batched matches: source 0), and the bare engine snapshot (revision 1).
const CheckpointMagic = 0x43525651
const HeaderBytes = 16
const RevisionOnlyMagic = 0x43525652
const RevisionOnlyHeaderBytes = 8

const encodeCheckpoint = (revision: number, source: number, engineSnapshot: Uint8Array): Uint8Array => {
  const bytes = new Uint8Array(HeaderBytes + engineSnapshot.byteLength)
  const view = new DataView(bytes.buffer)
  view.setUint32(0, CheckpointMagic)
  view.setUint32(4, revision)
  view.setFloat64(8, source)
  bytes.set(engineSnapshot, HeaderBytes)
  return bytes
}

const decodeCheckpoint = (bytes: Uint8Array): { readonly revision: number; readonly source: number; readonly engine: Uint8Array } => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const magic = bytes.byteLength >= RevisionOnlyHeaderBytes ? view.getUint32(0) : 0
  if (magic === CheckpointMagic && bytes.byteLength >= HeaderBytes) return { revision: view.getUint32(4), source: view.getFloat64(8), engine: bytes.subarray(HeaderBytes) }
  if (magic === RevisionOnlyMagic) return { revision: view.getUint32(4), source: 0, engine: bytes.subarray(RevisionOnlyHeaderBytes) }
  return { revision: 1, source: 0, engine: bytes }
}
