// The cluster-wide registry of correlator rule revisions (DISTRIBUTION.md "Deploying rules"):
// every deploy stores a new, immutable revision under `<correlatorId>.<revision>`, taken by KV
// create (compare-and-set on "no such key yet"), so two concurrent deploys never share a revision
// and revisions are created in order. Routers follow `changes` and stamp their matches with the
// revision they routed under; partition actors fetch the exact revision a match carries (`at`).
import type { KV } from "@nats-io/kv"
import { Kvm } from "@nats-io/kv"
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream"
import { Context, Data, Effect, Layer, Option, PubSub, Schedule, Schema, Stream } from "effect"
import type { CorrelatorId } from "../model/Ids.ts"
import { CorrelatorSpec } from "../model/Rule.ts"
import { NatsConnectionTag, type NatsConfig } from "./bus/NatsEventBus.ts"
import {
  bucketStream,
  correlatorsBucket,
  layerOwnershipConnection,
  revisionKey,
  revisionOfKey,
  revisionsFilter,
  revisionsSubject
} from "./ownership/OwnershipNames.ts"

/** One stored revision of a correlator. */
export interface Deployed {
  readonly revision: number
  readonly spec: CorrelatorSpec
}

/** The registry's store failed (connection, bucket set-up, a read or write), or holds a value that does not decode. */
export class CorrelatorRegistryError extends Data.TaggedError("CorrelatorRegistryError")<{ readonly message: string; readonly cause?: unknown }> {}

export interface CorrelatorRegistryShape {
  /** Stores `spec` as its correlator's next revision (1 for the first) and answers that revision. */
  readonly deploy: (spec: CorrelatorSpec) => Effect.Effect<number, CorrelatorRegistryError>
  /**
   * The correlator's current revision, or `spec` stored as revision 1 when it has none: what a
   * node does at start for each correlator of its deployment file. Idempotent across nodes: a
   * node whose create loses reads the winner's.
   */
  readonly seed: (spec: CorrelatorSpec) => Effect.Effect<Deployed, CorrelatorRegistryError>
  /** The newest revision, if the correlator has any. */
  readonly current: (correlatorId: CorrelatorId) => Effect.Effect<Option.Option<Deployed>, CorrelatorRegistryError>
  /** One revision exactly; none when it was never stored. */
  readonly at: (correlatorId: CorrelatorId, revision: number) => Effect.Effect<Option.Option<CorrelatorSpec>, CorrelatorRegistryError>
  /**
   * The current revision number (when there is one), then each newer one as it is stored, for as
   * long as the stream is read. Pushed, not polled (a KV watch on NATS). A slow reader may see a
   * revision more than once or skip one: treat each as "the newest is at least this".
   */
  readonly changes: (correlatorId: CorrelatorId) => Stream.Stream<number, CorrelatorRegistryError>
}

export class CorrelatorRegistry extends Context.Tag("corvus/CorrelatorRegistry")<CorrelatorRegistry, CorrelatorRegistryShape>() {}

/** The narrow seam a registry backend implements: write-once keys, the newest key of a correlator, and a watch. */
interface RegistryBucket {
  /** Writes `key` if it does not exist yet; false when it does. */
  readonly create: (key: string, value: string) => Effect.Effect<boolean, CorrelatorRegistryError>
  readonly get: (key: string) => Effect.Effect<Option.Option<string>, CorrelatorRegistryError>
  /** The highest revision of a correlator with its value. */
  readonly newest: (correlatorId: CorrelatorId) => Effect.Effect<Option.Option<{ readonly revision: number; readonly value: string }>, CorrelatorRegistryError>
  readonly watch: (correlatorId: CorrelatorId) => Stream.Stream<number, CorrelatorRegistryError>
}

const encodeSpec = Schema.encodeSync(Schema.parseJson(CorrelatorSpec))
const decodeSpec = Schema.decodeUnknownEither(Schema.parseJson(CorrelatorSpec))

// A lost create means another deploy took that revision: read the new newest and try the next.
// Every round some deploy wins, so N concurrent deploys need at most N rounds; more than this
// means a storm of deploys of one correlator, and the caller may try again.
const DeployRounds = 32

const fromBucket = (bucket: RegistryBucket): CorrelatorRegistryShape => {
  const decode = (key: string, value: string) => {
    const decoded = decodeSpec(value)
    return decoded._tag === "Right"
      ? Effect.succeed(decoded.right)
      : Effect.fail(new CorrelatorRegistryError({ message: `registry entry ${key} does not decode as a correlator`, cause: decoded.left }))
  }

  const current = (correlatorId: CorrelatorId) =>
    Effect.flatMap(bucket.newest(correlatorId), (newest) =>
      Option.match(newest, {
        onNone: () => Effect.succeed(Option.none<Deployed>()),
        onSome: ({ revision, value }) => Effect.map(decode(revisionKey(correlatorId, revision), value), (spec) => Option.some({ revision, spec }))
      })
    )

  const deploy = (spec: CorrelatorSpec) =>
    Effect.gen(function* () {
      const value = encodeSpec(spec)
      for (let round = 0; round < DeployRounds; round++) {
        const newest = yield* bucket.newest(spec.id)
        const revision = Option.match(newest, { onNone: () => 0, onSome: (entry) => entry.revision }) + 1
        if (yield* bucket.create(revisionKey(spec.id, revision), value)) return revision
      }
      return yield* new CorrelatorRegistryError({ message: `correlator ${spec.id}: ${DeployRounds} concurrent deploys took every revision tried; deploy again` })
    })

  const seed = (spec: CorrelatorSpec) =>
    Effect.gen(function* () {
      const existing = yield* current(spec.id)
      if (Option.isSome(existing)) return existing.value
      if (yield* bucket.create(revisionKey(spec.id, 1), encodeSpec(spec))) return { revision: 1, spec } satisfies Deployed
      // Another node's create won; a read may be served by a replica that has not applied it yet.
      return yield* current(spec.id).pipe(
        Effect.flatMap((winner) =>
          Option.isSome(winner) ? Effect.succeed(winner.value) : Effect.fail(new CorrelatorRegistryError({ message: `correlator ${spec.id}: revision 1 exists but cannot be read` }))
        ),
        Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.compose(Schedule.recurs(40))))
      )
    })

  const at = (correlatorId: CorrelatorId, revision: number) =>
    Effect.suspend(() => {
      const key = revisionKey(correlatorId, revision)
      return Effect.flatMap(bucket.get(key), (value) =>
        Option.match(value, { onNone: () => Effect.succeed(Option.none<CorrelatorSpec>()), onSome: (text) => Effect.map(decode(key, text), Option.some) })
      )
    })

  return { deploy, seed, current, at, changes: bucket.watch }
}

// ---------------------------------------------------------------------------------------------
// In memory

/** An in-process registry store that several in-memory nodes share. */
export class MemoryStore {
  readonly values = new Map<string, string>()
  readonly newest = new Map<string, number>()
  readonly stored = Effect.runSync(PubSub.unbounded<{ readonly correlatorId: string; readonly revision: number }>())
}

/** A fresh, empty in-memory store. */
export const memoryStore = (): MemoryStore => new MemoryStore()

const memoryBucket = (store: MemoryStore): RegistryBucket => ({
  // Yields first as a round trip would, so concurrent deploys interleave and the create decides.
  create: (key, value) =>
    Effect.zipRight(
      Effect.yieldNow(),
      Effect.suspend(() => {
        if (store.values.has(key)) return Effect.succeed(false)
        store.values.set(key, value)
        const correlatorId = key.slice(0, key.lastIndexOf("."))
        const revision = revisionOfKey(key)!
        store.newest.set(correlatorId, Math.max(revision, store.newest.get(correlatorId) ?? 0))
        return Effect.as(PubSub.publish(store.stored, { correlatorId, revision }), true)
      })
    ),
  get: (key) => Effect.sync(() => Option.fromNullable(store.values.get(key))),
  newest: (correlatorId) =>
    Effect.sync(() => {
      const revision = store.newest.get(correlatorId)
      const value = revision === undefined ? undefined : store.values.get(revisionKey(correlatorId, revision))
      return revision === undefined || value === undefined ? Option.none() : Option.some({ revision, value })
    }),
  // Subscribed before the current revision is read, so nothing stored in between is missed.
  watch: (correlatorId) =>
    Stream.unwrapScoped(
      Effect.map(PubSub.subscribe(store.stored), (subscription) => {
        const newest = store.newest.get(correlatorId)
        return Stream.concat(
          Stream.fromIterable(newest === undefined ? [] : [newest]),
          Stream.fromQueue(subscription).pipe(
            Stream.filter((stored) => stored.correlatorId === correlatorId),
            Stream.map((stored) => stored.revision)
          )
        )
      })
    )
})

/** The registry in memory on `store` (by default a fresh one each time the layer is built); share a store to run several nodes in one process. */
export const layerMemory = (store?: MemoryStore): Layer.Layer<CorrelatorRegistry> =>
  Layer.sync(CorrelatorRegistry, () => fromBucket(memoryBucket(store ?? memoryStore())))

// ---------------------------------------------------------------------------------------------
// On NATS KV

const retryTransient = Schedule.exponential("100 millis").pipe(Schedule.compose(Schedule.recurs(6)))

const isKeyTaken = (cause: unknown): boolean =>
  cause instanceof JetStreamApiError &&
  (cause.code === JetStreamApiCodes.StreamWrongLastSequence || cause.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)

const natsBucket = (kv: KV, manager: JetStreamManager, bucket: string): RegistryBucket => {
  const failure = (message: string) => (cause: unknown) => new CorrelatorRegistryError({ message: `${message} (bucket ${bucket})`, cause })
  const stream = bucketStream(bucket)
  return {
    // Not retried: a create that timed out may have landed, and a retry would then report the
    // deploy's own revision as taken; the deploy loop reads the newest and goes on instead.
    create: (key, value) =>
      Effect.tryPromise({ try: () => kv.create(key, value), catch: (cause) => cause }).pipe(
        Effect.as(true),
        Effect.catchAll((cause) => (isKeyTaken(cause) ? Effect.succeed(false) : Effect.fail(failure(`cannot store ${key}`)(cause))))
      ),
    get: (key) =>
      Effect.tryPromise({ try: () => kv.get(key), catch: failure(`cannot read ${key}`) }).pipe(
        Effect.retry(retryTransient),
        Effect.map((entry) => (entry === null || entry.operation !== "PUT" ? Option.none() : Option.some(entry.string())))
      ),
    // Revisions are created in order (a create of N+1 follows a read of N), so the last message
    // on the correlator's keys is its newest revision: one read, not a listing of every key.
    newest: (correlatorId) =>
      Effect.tryPromise({
        try: () => manager.streams.getMessage(stream, { last_by_subj: revisionsSubject(bucket, correlatorId) }),
        catch: failure(`cannot read the newest revision of ${correlatorId}`)
      }).pipe(
        Effect.retry(retryTransient),
        Effect.flatMap((message) => {
          if (message === null) return Effect.succeed(Option.none())
          const revision = revisionOfKey(message.subject)
          if (revision === undefined) return Effect.fail(new CorrelatorRegistryError({ message: `unexpected registry subject ${message.subject} (bucket ${bucket})` }))
          return Effect.succeed(Option.some({ revision, value: message.string() }))
        })
      ),
    // A KV watch delivers every existing revision first, then each new one; the client restarts
    // its ordered consumer after a server loss on its own. Pushed through a callback rather than
    // pulled as an async iterable: ending a pull that waits for the next entry would wait for
    // that entry, while stopping the watcher ends the loop at once.
    watch: (correlatorId) =>
      Stream.asyncScoped<number, CorrelatorRegistryError>((emit) =>
        Effect.acquireRelease(
          Effect.tryPromise({ try: () => kv.watch({ key: revisionsFilter(correlatorId), ignoreDeletes: true }), catch: failure(`cannot watch ${correlatorId}`) }),
          (watcher) => Effect.sync(() => watcher.stop())
        ).pipe(
          Effect.tap((watcher) =>
            Effect.sync(() => {
              void (async () => {
                for await (const entry of watcher) {
                  const revision = revisionOfKey(entry.key)
                  if (revision !== undefined) void emit.single(revision)
                }
                void emit.end()
              })().catch((cause) => emit.fail(failure(`watch of ${correlatorId} failed`)(cause)))
            })
          )
        )
      )
  }
}

/** Where the registry lives on NATS. */
export interface CorrelatorRegistryOptions {
  readonly clusterName: string
  readonly replicas: number
}

/** The registry on the KV bucket of `clusterName`, over the node's NATS connection. */
export const make = (options: CorrelatorRegistryOptions): Effect.Effect<CorrelatorRegistryShape, CorrelatorRegistryError, NatsConnectionTag> =>
  Effect.gen(function* () {
    const connection = yield* NatsConnectionTag
    const bucket = correlatorsBucket(options.clusterName)
    // Revisions are kept forever (a replay may need an old one); reads go to the stream leader,
    // so a revision a watch announced is always there to read.
    const { kv, manager } = yield* Effect.tryPromise({
      try: async () => ({
        kv: await new Kvm(connection).create(bucket, { history: 1, replicas: options.replicas, allow_direct: false }),
        manager: await jetstreamManager(connection)
      }),
      catch: (cause) => new CorrelatorRegistryError({ message: `cannot open KV bucket ${bucket}`, cause })
    }).pipe(Effect.retry(retryTransient))
    return fromBucket(natsBucket(kv, manager, bucket))
  })

/** The registry on NATS with a connection of its own. */
export const layer = (config: NatsConfig, options: Omit<CorrelatorRegistryOptions, "replicas">): Layer.Layer<CorrelatorRegistry, CorrelatorRegistryError> =>
  Layer.effect(CorrelatorRegistry, make({ ...options, replicas: config.replicas })).pipe(
    Layer.provide(layerOwnershipConnection(config)),
    Layer.mapError((error) => (error._tag === "CorrelatorRegistryError" ? error : new CorrelatorRegistryError({ message: error.message, cause: error })))
  )
