// Partition leases: one KV key per correlator partition, taken by compare-and-set on the key's
// revision and kept alive by renewals; the revision of the winning create is the lease's epoch.
//
// Epochs. A bucket's revisions only grow (deletes, expiry markers and even an emptied stream
// never reuse one; only deleting the bucket itself starts over, so a live cluster never does),
// so the create that acquires a partition gets a revision higher than any earlier holder's:
// that revision is the epoch. The create's value carries no epoch (it cannot
// know its own revision); every renewal writes it into the value. A reader therefore takes the
// epoch as `value.epoch ?? entry revision`, which is right in both states and needs no extra
// write at acquisition. Downstream writers fence with isCurrent: a write stamped with an epoch
// that is no longer current belongs to a holder that lost the partition.
//
// Expiry. The bucket's max age is the lease TTL: a key disappears TTL after its last write,
// and the holder stops acting on it at `expiresAt` (TTL after it sent that write, by its own
// clock), before the server can let anyone else in.
import type { KV } from "@nats-io/kv"
import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream"
import { Clock, Context, Data, Duration, Effect, Layer, Option, Schema } from "effect"
import type { CorrelatorId } from "../../model/Ids.ts"
import { NatsConnectionTag, type NatsConfig } from "../bus/NatsEventBus.ts"
import { leaseKey, leasesBucket, layerOwnershipConnection, OwnershipError, openBucket, retryingTransient, ttlMillis } from "./OwnershipNames.ts"

/** A lease as its holder keeps it: what to renew or release with, and until when it is safe. */
export interface Lease {
  readonly correlatorId: CorrelatorId
  readonly partition: number
  readonly owner: string
  /** The revision of the create that acquired the partition; stamps the holder's downstream writes. */
  readonly epoch: number
  /** The key's revision after the holder's last write; the next renewal or release expects it. */
  readonly revision: number
  readonly acquiredAt: number
  /** Unix-epoch milliseconds after which the holder must assume the lease is gone unless renewed. */
  readonly expiresAt: number
}

/** Who holds a partition now, as any node can read it. */
export interface LeaseView {
  readonly owner: string
  readonly epoch: number
  readonly acquiredAt: number
}

/** The lease's acquisition is over: it expired, was released, or another node holds the partition. */
export class LeaseLost extends Data.TaggedError("LeaseLost")<{
  readonly correlatorId: CorrelatorId
  readonly partition: number
  readonly epoch: number
}> {}

export interface PartitionLeasesShape {
  /** Takes the partition for `nodeId`, or gives undefined when anyone (even an earlier run of `nodeId`) holds it. */
  readonly acquire: (correlatorId: CorrelatorId, partition: number, nodeId: string) => Effect.Effect<Lease | undefined, OwnershipError>
  /**
   * Extends the lease by a TTL from now. A holder that lost track of its latest revision (a
   * renewal that timed out but landed) still renews while its epoch holds the key.
   */
  readonly renew: (lease: Lease) => Effect.Effect<Lease, LeaseLost | OwnershipError>
  /** Gives the partition up at once; a no-op when the lease's acquisition is already over. */
  readonly release: (lease: Lease) => Effect.Effect<void, OwnershipError>
  /** The current holder of a partition, if any. */
  readonly current: (correlatorId: CorrelatorId, partition: number) => Effect.Effect<Option.Option<LeaseView>, OwnershipError>
  /** Whether `epoch` is the partition's current epoch: the fencing check of downstream writers. */
  readonly isCurrent: (correlatorId: CorrelatorId, partition: number, epoch: number) => Effect.Effect<boolean, OwnershipError>
  /** How long a lease lives after its last write. */
  readonly ttl: Duration.Duration
}

export class PartitionLeases extends Context.Tag("corvus/PartitionLeases")<PartitionLeases, PartitionLeasesShape>() {}

/** The lease TTL when none is configured. */
export const DefaultTtl = Duration.seconds(10)

/** The wire value of a lease key. */
const LeaseValue = Schema.Struct({
  owner: Schema.String,
  /** Absent in the acquiring create, whose own revision is the epoch. */
  epoch: Schema.optional(Schema.Number),
  acquiredAt: Schema.Number
})
type LeaseValue = typeof LeaseValue.Type

/** A key as the lease logic sees it: its last revision (0 when never written) and its live value. */
interface KeyState {
  readonly revision: number
  readonly value: Option.Option<LeaseValue>
}

/** The narrow seam a lease backend implements: compare-and-set on a key's last revision. */
interface LeaseBucket {
  readonly read: (key: string) => Effect.Effect<KeyState, OwnershipError>
  /** Writes when the key's last revision is `expected`; the new revision, or none when it moved. */
  readonly write: (key: string, value: LeaseValue, expected: number) => Effect.Effect<Option.Option<number>, OwnershipError>
  /** Deletes when the key's last revision is `expected`; false when it moved. */
  readonly remove: (key: string, expected: number) => Effect.Effect<boolean, OwnershipError>
}

const epochOf = (state: KeyState, value: LeaseValue): number => value.epoch ?? state.revision

// A lost create race means the winner's value is there to see on the next read; more rounds
// than this mean churn, and the caller retries later anyway.
const AcquireRounds = 3

const fromBucket = (bucket: LeaseBucket, leaseTtlMillis: number): PartitionLeasesShape => {
  const viewOf = (state: KeyState): Option.Option<LeaseView> =>
    Option.map(state.value, (value) => ({ owner: value.owner, epoch: epochOf(state, value), acquiredAt: value.acquiredAt }))

  // The revision to write against when the key still belongs to the lease's acquisition.
  const revisionHeldBy = (key: string, lease: Lease) =>
    Effect.map(bucket.read(key), (state) =>
      Option.flatMap(state.value, (value) => (value.owner === lease.owner && epochOf(state, value) === lease.epoch ? Option.some(state.revision) : Option.none()))
    )

  const acquire = (correlatorId: CorrelatorId, partition: number, nodeId: string) =>
    Effect.gen(function* () {
      const key = leaseKey(correlatorId, partition)
      for (let round = 0; round < AcquireRounds; round++) {
        const sentAt = yield* Clock.currentTimeMillis
        const state = yield* bucket.read(key)
        if (Option.isSome(state.value)) return undefined
        const written = yield* bucket.write(key, { owner: nodeId, acquiredAt: sentAt }, state.revision)
        if (Option.isSome(written)) {
          return { correlatorId, partition, owner: nodeId, epoch: written.value, revision: written.value, acquiredAt: sentAt, expiresAt: sentAt + leaseTtlMillis } satisfies Lease
        }
      }
      return undefined
    })

  const renew = (lease: Lease) =>
    Effect.gen(function* () {
      const key = leaseKey(lease.correlatorId, lease.partition)
      const value: LeaseValue = { owner: lease.owner, epoch: lease.epoch, acquiredAt: lease.acquiredAt }
      const sentAt = yield* Clock.currentTimeMillis
      let written = yield* bucket.write(key, value, lease.revision)
      if (Option.isNone(written)) {
        const held = yield* revisionHeldBy(key, lease)
        if (Option.isSome(held)) written = yield* bucket.write(key, value, held.value)
      }
      if (Option.isNone(written)) return yield* new LeaseLost({ correlatorId: lease.correlatorId, partition: lease.partition, epoch: lease.epoch })
      return { ...lease, revision: written.value, expiresAt: sentAt + leaseTtlMillis } satisfies Lease
    })

  const release = (lease: Lease) =>
    Effect.gen(function* () {
      const key = leaseKey(lease.correlatorId, lease.partition)
      if (yield* bucket.remove(key, lease.revision)) return
      const held = yield* revisionHeldBy(key, lease)
      if (Option.isSome(held)) yield* bucket.remove(key, held.value)
    })

  const current = (correlatorId: CorrelatorId, partition: number) =>
    Effect.suspend(() => Effect.map(bucket.read(leaseKey(correlatorId, partition)), viewOf))

  return {
    acquire,
    renew,
    release,
    current,
    isCurrent: (correlatorId, partition, epoch) => Effect.map(current(correlatorId, partition), Option.exists((view) => view.epoch === epoch)),
    ttl: Duration.millis(leaseTtlMillis)
  }
}

// ---------------------------------------------------------------------------------------------
// In memory

interface MemoryKey {
  readonly revision: number
  readonly value: LeaseValue | undefined
  readonly writtenAt: number
}

/** An in-process lease bucket that several in-memory nodes share; expiry follows the Effect Clock. */
export class MemoryBucket {
  private lastRevision = 0
  private readonly keys = new Map<string, MemoryKey>()

  constructor(readonly ttlMillis: number) {}

  /**
   * The key's state at `now`. An expired value becomes a tombstone with a new revision, as
   * the server's MaxAge marker does, so a renewal expecting the old revision fails.
   */
  read(key: string, now: number): KeyState {
    let entry = this.keys.get(key)
    if (entry?.value !== undefined && now - entry.writtenAt >= this.ttlMillis) {
      entry = { revision: ++this.lastRevision, value: undefined, writtenAt: entry.writtenAt + this.ttlMillis }
      this.keys.set(key, entry)
    }
    return { revision: entry?.revision ?? 0, value: Option.fromNullable(entry?.value) }
  }

  write(key: string, value: LeaseValue | undefined, expected: number, now: number): Option.Option<number> {
    if (this.read(key, now).revision !== expected) return Option.none()
    const revision = ++this.lastRevision
    this.keys.set(key, { revision, value, writtenAt: now })
    return Option.some(revision)
  }
}

/** A fresh in-memory lease bucket with the given TTL. */
export const memoryBucket = (ttl: Duration.DurationInput = DefaultTtl): MemoryBucket => new MemoryBucket(ttlMillis(ttl))

const memoryLeaseBucket = (bucket: MemoryBucket): LeaseBucket => ({
  // Yields after a read as a round trip would, so concurrent callers interleave between their
  // read and their write and the compare-and-set, not the scheduler, decides races.
  read: (key) => Effect.map(Clock.currentTimeMillis, (now) => bucket.read(key, now)).pipe(Effect.zipLeft(Effect.yieldNow())),
  write: (key, value, expected) => Effect.map(Clock.currentTimeMillis, (now) => bucket.write(key, value, expected, now)),
  // A delete is a tombstone write, so it moves the revision like the server's DEL marker.
  remove: (key, expected) => Effect.map(Clock.currentTimeMillis, (now) => Option.isSome(bucket.write(key, undefined, expected, now)))
})

/** Leases in memory on `bucket` (a fresh one by default); share a bucket to run several nodes in one process. */
export const layerMemory = (bucket: MemoryBucket = memoryBucket()): Layer.Layer<PartitionLeases> =>
  Layer.succeed(PartitionLeases, fromBucket(memoryLeaseBucket(bucket), bucket.ttlMillis))

// ---------------------------------------------------------------------------------------------
// On NATS KV

const decodeValue = Schema.decodeUnknownEither(Schema.parseJson(LeaseValue))
const encodeValue = Schema.encodeSync(Schema.parseJson(LeaseValue))

const isRevisionMismatch = (cause: unknown): boolean =>
  cause instanceof JetStreamApiError &&
  (cause.code === JetStreamApiCodes.StreamWrongLastSequence || cause.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)

const natsLeaseBucket = (kv: KV, bucket: string): LeaseBucket => {
  const failure = (message: string) => (cause: unknown) => new OwnershipError({ message: `${message} (bucket ${bucket})`, cause })

  // Reads are retried; conditional writes are not: one that timed out may have landed, and
  // only the caller (with the revision it expects) can tell what to do next.
  const read = (key: string) =>
    Effect.gen(function* () {
      const entry = yield* retryingTransient(Effect.tryPromise({ try: () => kv.get(key), catch: failure(`cannot read lease ${key}`) }))
      if (entry === null) return { revision: 0, value: Option.none() } satisfies KeyState
      if (entry.operation !== "PUT") return { revision: entry.revision, value: Option.none() } satisfies KeyState
      const decoded = decodeValue(entry.string())
      if (decoded._tag === "Left") return yield* new OwnershipError({ message: `lease ${key} holds a malformed value (bucket ${bucket})`, cause: decoded.left })
      return { revision: entry.revision, value: Option.some(decoded.right) } satisfies KeyState
    })

  const conditional = <A>(attempt: () => Promise<A>, message: string) =>
    Effect.tryPromise({ try: attempt, catch: (cause) => cause }).pipe(
      Effect.map(Option.some),
      Effect.catchAll((cause) => (isRevisionMismatch(cause) ? Effect.succeed(Option.none<A>()) : Effect.fail(failure(message)(cause))))
    )

  return {
    read,
    write: (key, value, expected) => conditional(() => kv.put(key, encodeValue(value), { previousSeq: expected }), `cannot write lease ${key}`),
    // The client sends no expectation for a zero revision; there is no lease to delete then.
    remove: (key, expected) =>
      expected <= 0
        ? Effect.succeed(false)
        : Effect.map(conditional(() => kv.delete(key, { previousSeq: expected }), `cannot delete lease ${key}`), Option.isSome)
  }
}

/** Where leases live on NATS and how long one lasts without renewal. */
export interface PartitionLeasesOptions {
  readonly clusterName: string
  readonly replicas: number
  readonly ttl?: Duration.DurationInput
}

/** Leases on the KV bucket of `clusterName`, over the node's NATS connection. */
export const make = (options: PartitionLeasesOptions): Effect.Effect<PartitionLeasesShape, OwnershipError, NatsConnectionTag> =>
  Effect.gen(function* () {
    const connection = yield* NatsConnectionTag
    const ttl = ttlMillis(options.ttl ?? DefaultTtl)
    const bucket = leasesBucket(options.clusterName)
    const kv = yield* openBucket(connection, bucket, ttl, options.replicas)
    return fromBucket(natsLeaseBucket(kv, bucket), ttl)
  })

/** Leases on NATS with a connection of their own. */
export const layer = (config: NatsConfig, options: Omit<PartitionLeasesOptions, "replicas">): Layer.Layer<PartitionLeases, OwnershipError> =>
  Layer.effect(PartitionLeases, make({ ...options, replicas: config.replicas })).pipe(
    Layer.provide(layerOwnershipConnection(config))
  )
