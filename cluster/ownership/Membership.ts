// Cluster membership: every node heartbeats its MemberInfo into a KV bucket whose max age is the
// TTL, so the live set is the bucket's keys and a node that stops heartbeating drops out.
import type { KV, KvEntry } from "@nats-io/kv"
import { Clock, Context, Deferred, Duration, Effect, Exit, Layer, Option, Ref, Schema, type Scope, Stream } from "effect"
import { NatsConnectionTag, type NatsConfig } from "../bus/NatsEventBus.ts"
import { memberKey, membersBucket, layerOwnershipConnection, OwnershipError, openBucket, retryingTransient, ttlMillis } from "./OwnershipNames.ts"

/** What a node announces about itself; the wire value of its membership key. */
export const MemberInfo = Schema.Struct({
  nodeId: Schema.String,
  /** The node's gRPC control address (`host:port`). */
  address: Schema.String,
  /** When the node started, unix-epoch milliseconds. */
  startedAt: Schema.Number,
  /** A draining node is alive but should be the target of no partition. */
  draining: Schema.Boolean
})
export interface MemberInfo extends Schema.Schema.Type<typeof MemberInfo> {}

export interface MembershipShape {
  /**
   * Joins the cluster for the lifetime of the scope: announces `self` at once, then every TTL/3;
   * closing the scope stops the heartbeat and deletes the key (a graceful leave). One node per
   * service instance.
   */
  readonly join: (self: MemberInfo) => Effect.Effect<void, OwnershipError, Scope.Scope>
  /** Announces a member once without joining; without further heartbeats it drops out within the TTL. */
  readonly heartbeat: (member: MemberInfo) => Effect.Effect<void, OwnershipError>
  /** Marks the joined node draining (or not) and announces it at once. */
  readonly setDraining: (draining: boolean) => Effect.Effect<void, OwnershipError>
  /** The live members, sorted by node id. */
  readonly members: Effect.Effect<ReadonlyArray<MemberInfo>, OwnershipError>
  /** The live set now, then again each time it changes (a join, a leave, an expiry, a drain flag). */
  readonly changes: Stream.Stream<ReadonlyArray<MemberInfo>, OwnershipError>
  /** How long a member stays listed after its last heartbeat. */
  readonly ttl: Duration.Duration
}

export class Membership extends Context.Tag("corvus/Membership")<Membership, MembershipShape>() {}

/** The membership TTL when none is configured. */
export const DefaultTtl = Duration.seconds(6)

/** The narrow seam a membership backend implements; join and drain logic is shared. */
interface MemberStore {
  readonly write: (member: MemberInfo) => Effect.Effect<void, OwnershipError>
  readonly remove: (nodeId: string) => Effect.Effect<void, OwnershipError>
  readonly members: Effect.Effect<ReadonlyArray<MemberInfo>, OwnershipError>
  readonly changes: Stream.Stream<ReadonlyArray<MemberInfo>, OwnershipError>
}

const byNodeId = (members: Iterable<MemberInfo>): ReadonlyArray<MemberInfo> =>
  [...members].sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0))

const sameMember = (a: MemberInfo, b: MemberInfo): boolean =>
  a.nodeId === b.nodeId && a.address === b.address && a.startedAt === b.startedAt && a.draining === b.draining

const sameMembers = (a: ReadonlyArray<MemberInfo>, b: ReadonlyArray<MemberInfo>): boolean =>
  a.length === b.length && a.every((member, index) => sameMember(member, b[index]!))

const fromStore = (store: MemberStore, ttl: Duration.Duration): Effect.Effect<MembershipShape> =>
  Effect.gen(function* () {
    const joined = yield* Ref.make(Option.none<MemberInfo>())
    // Heartbeats and drain flags go through one permit and read the latest self inside it, so
    // an older heartbeat can never land after a newer drain flag.
    const writes = yield* Effect.makeSemaphore(1)
    const interval = Duration.divide(ttl, 3).pipe(Option.getOrElse(() => ttl))

    // Uninterruptible: a write still in flight when the heartbeat stops would land after the
    // leave's delete and list the node again until the TTL passed.
    const announce = writes.withPermits(1)(
      Effect.flatMap(Ref.get(joined), Option.match({ onNone: () => Effect.void, onSome: store.write }))
    ).pipe(Effect.uninterruptible)

    const join = (self: MemberInfo) =>
      Effect.gen(function* () {
        memberKey(self.nodeId)
        const previous = yield* Ref.modify(joined, (current) => [current, Option.isNone(current) ? Option.some(self) : current])
        if (Option.isSome(previous)) return yield* Effect.dieMessage(`node ${previous.value.nodeId} already joined through this Membership; one node per instance`)
        yield* Effect.addFinalizer(() =>
          Ref.set(joined, Option.none()).pipe(
            Effect.zipRight(writes.withPermits(1)(store.remove(self.nodeId))),
            Effect.catchAll((error) => Effect.logWarning(`node ${self.nodeId} could not delete its membership key; it expires within ${Duration.format(ttl)}`, error))
          )
        )
        // A join that could not announce is no join: the instance may try again in the same scope.
        yield* Effect.tapError(announce, () => Ref.set(joined, Option.none()))
        yield* Effect.sleep(interval).pipe(
          Effect.zipRight(announce.pipe(Effect.catchAll((error) => Effect.logWarning(`node ${self.nodeId}: heartbeat failed`, error)))),
          Effect.forever,
          Effect.forkScoped
        )
      })

    const setDraining = (draining: boolean) =>
      Effect.flatMap(
        Ref.modify(joined, (current) =>
          Option.isNone(current) ? [false, current] : [true, Option.some({ ...current.value, draining })]
        ),
        (isJoined) => (isJoined ? announce : Effect.dieMessage("setDraining called before join"))
      )

    return {
      join,
      heartbeat: store.write,
      setDraining,
      members: store.members,
      changes: store.changes.pipe(Stream.changesWith(sameMembers)),
      ttl
    } satisfies MembershipShape
  })

// ---------------------------------------------------------------------------------------------
// In memory

interface MemoryEntry {
  readonly member: MemberInfo
  readonly writtenAt: number
}

/** An in-process membership bucket that several in-memory nodes share; expiry follows the Effect Clock. */
export class MemoryBucket {
  readonly entries = new Map<string, MemoryEntry>()
  signal = Deferred.unsafeMake<void>(undefined as never)

  constructor(readonly ttlMillis: number) {}

  wake(): void {
    const previous = this.signal
    this.signal = Deferred.unsafeMake<void>(undefined as never)
    Deferred.unsafeDone(previous, Exit.void)
  }

  /** Drops entries as old as the TTL (the server's max age does the same) and lists the rest. */
  live(now: number): ReadonlyArray<MemberInfo> {
    for (const [key, entry] of this.entries) if (now - entry.writtenAt >= this.ttlMillis) this.entries.delete(key)
    return byNodeId([...this.entries.values()].map((entry) => entry.member))
  }

  nextExpiry(): number | undefined {
    let earliest: number | undefined
    for (const entry of this.entries.values()) earliest = Math.min(earliest ?? Infinity, entry.writtenAt + this.ttlMillis)
    return earliest
  }
}

/** A fresh in-memory membership bucket with the given TTL. */
export const memoryBucket = (ttl: Duration.DurationInput = DefaultTtl): MemoryBucket => new MemoryBucket(ttlMillis(ttl))

const memoryStore = (bucket: MemoryBucket): MemberStore => {
  const members = Effect.map(Clock.currentTimeMillis, (now) => bucket.live(now))

  // Wakes on any write and at the next expiry, so a dead member drops out of the stream on
  // time under a TestClock as under the real one.
  const nextChange = (previous: ReadonlyArray<MemberInfo> | undefined) =>
    Effect.gen(function* () {
      while (true) {
        const signal = bucket.signal
        const now = yield* Clock.currentTimeMillis
        const live = bucket.live(now)
        if (previous === undefined || !sameMembers(previous, live)) return Option.some([live, live] as const)
        const expiry = bucket.nextExpiry()
        yield* expiry === undefined ? Deferred.await(signal) : Effect.race(Deferred.await(signal), Effect.sleep(Duration.millis(expiry - now)))
      }
    })

  return {
    write: (member) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        bucket.entries.set(memberKey(member.nodeId), { member, writtenAt: now })
        bucket.wake()
      }),
    remove: (nodeId) =>
      Effect.sync(() => {
        bucket.entries.delete(memberKey(nodeId))
        bucket.wake()
      }),
    members,
    changes: Stream.unfoldEffect<ReadonlyArray<MemberInfo> | undefined, ReadonlyArray<MemberInfo>, never, never>(undefined, nextChange)
  }
}

/** Membership in memory on `bucket` (a fresh one by default); share a bucket to run several nodes in one process. */
export const layerMemory = (bucket: MemoryBucket = memoryBucket()): Layer.Layer<Membership> =>
  Layer.effect(Membership, fromStore(memoryStore(bucket), Duration.millis(bucket.ttlMillis)))

// ---------------------------------------------------------------------------------------------
// On NATS KV

const decodeMember = Schema.decodeUnknownEither(Schema.parseJson(MemberInfo))
const encodeMember = Schema.encodeSync(Schema.parseJson(MemberInfo))

/** The member a KV entry holds, or undefined for a delete, an expiry marker or a malformed value. */
const memberOf = (entry: KvEntry | null): MemberInfo | undefined => {
  if (entry === null || entry.operation !== "PUT") return undefined
  const decoded = decodeMember(entry.string())
  return decoded._tag === "Right" ? decoded.right : undefined
}

const natsStore = (kv: KV, bucket: string): MemberStore => {
  const failure = (message: string) => (cause: unknown) => new OwnershipError({ message: `${message} (bucket ${bucket})`, cause })

  // keys() still lists a key whose value expired while its MaxAge marker lives, so each key
  // is read back and only live values count.
  const readLive = retryingTransient(
    Effect.tryPromise({
      try: async () => {
        const keys: Array<string> = []
        for await (const key of await kv.keys()) keys.push(key)
        const entries = await Promise.all(keys.map((key) => kv.get(key)))
        return new Map(entries.flatMap((entry) => {
          const member = memberOf(entry)
          return entry === null || member === undefined ? [] : [[entry.key, member] as const]
        }))
      },
      catch: failure("cannot list members")
    })
  )

  // A snapshot, then every change after the revision the snapshot started from: the watch
  // replays anything the snapshot may have missed, and applying an entry twice is harmless.
  const changes = Stream.unwrapScoped(
    Effect.gen(function* () {
      const lastRevision = yield* retryingTransient(
        Effect.tryPromise({ try: () => kv.status().then((status) => status.streamInfo.state.last_seq), catch: failure("cannot read the bucket status") })
      )
      const snapshot = yield* readLive
      const watcher = yield* Effect.acquireRelease(
        Effect.tryPromise({ try: () => kv.watch({ resumeFromRevision: lastRevision + 1 }), catch: failure("cannot watch members") }),
        (iterator) => Effect.sync(() => iterator.stop())
      )
      const updates = Stream.fromAsyncIterable(watcher, failure("member watch failed")).pipe(
        Stream.mapAccum(snapshot as ReadonlyMap<string, MemberInfo>, (live, entry) => {
          const next = new Map(live)
          const member = memberOf(entry)
          if (member === undefined) next.delete(entry.key)
          else next.set(entry.key, member)
          // Only a caught-up watch reports: a burst of entries yields one live set.
          return [next, (entry.delta ?? 0) === 0 ? Option.some(byNodeId(next.values())) : Option.none()] as const
        }),
        Stream.filterMap((report) => report)
      )
      return Stream.concat(Stream.succeed(byNodeId(snapshot.values())), updates)
    })
  )

  return {
    // Keys are built outside the promise: an invalid node id is a bug to die on, not an outage to retry.
    write: (member) =>
      Effect.suspend(() => {
        const key = memberKey(member.nodeId)
        return retryingTransient(Effect.tryPromise({ try: () => kv.put(key, encodeMember(member)), catch: failure(`cannot announce node ${member.nodeId}`) }))
      }).pipe(Effect.asVoid),
    remove: (nodeId) =>
      Effect.suspend(() => {
        const key = memberKey(nodeId)
        return retryingTransient(Effect.tryPromise({ try: () => kv.delete(key), catch: failure(`cannot delete node ${nodeId}`) }))
      }),
    members: Effect.map(readLive, (live) => byNodeId(live.values())),
    changes
  }
}

/** Where membership lives on NATS and how long a silent node stays listed. */
export interface MembershipOptions {
  readonly clusterName: string
  readonly replicas: number
  readonly ttl?: Duration.DurationInput
}

/** Membership on the KV bucket of `clusterName`, over the node's NATS connection. */
export const make = (options: MembershipOptions): Effect.Effect<MembershipShape, OwnershipError, NatsConnectionTag> =>
  Effect.gen(function* () {
    const connection = yield* NatsConnectionTag
    const ttl = ttlMillis(options.ttl ?? DefaultTtl)
    const bucket = membersBucket(options.clusterName)
    const kv = yield* openBucket(connection, bucket, ttl, options.replicas)
    return yield* fromStore(natsStore(kv, bucket), Duration.millis(ttl))
  })

/** Membership on NATS with a connection of its own. */
export const layer = (config: NatsConfig, options: Omit<MembershipOptions, "replicas">): Layer.Layer<Membership, OwnershipError> =>
  Layer.effect(Membership, make({ ...options, replicas: config.replicas })).pipe(
    Layer.provide(layerOwnershipConnection(config))
  )
