// Bucket names, KV keys and bucket definitions of the ownership layer (membership, partition
// leases and the correlator registry), built here and nowhere else, plus the infrastructure error
// membership and leases share.
import { Kvm, type KV, type KvOptions } from "@nats-io/kv"
import type { NatsConnection } from "@nats-io/transport-node"
import { Data, Duration, Effect, Layer, Schedule } from "effect"
import { layerConnection, type NatsConfig } from "../bus/NatsEventBus.ts"
import type { CorrelatorId } from "../../model/Ids.ts"

/** The KV store behind membership or leases failed (connection, bucket set-up, a read or write). */
export class OwnershipError extends Data.TaggedError("OwnershipError")<{ readonly message: string; readonly cause?: unknown }> {}

// The same alphabet as model/Ids.ts tokens: safe as one NATS subject token, hence as a KV key token.
const Token = /^[A-Za-z0-9_-]{1,64}$/

const requireToken = (what: string, value: string): string => {
  if (!Token.test(value)) throw new Error(`invalid ${what} '${value}': expected 1-64 of [A-Za-z0-9_-]`)
  return value
}

const requirePartition = (partition: number): number => {
  if (!Number.isSafeInteger(partition) || partition < 0) throw new Error(`invalid partition ${partition}: expected a non-negative integer`)
  return partition
}

const bucketPrefix = (clusterName: string): string => `CORVUS_${requireToken("cluster name", clusterName).toUpperCase().replaceAll("-", "_")}`

/** The membership bucket of cluster `clusterName` (named like the cluster's streams in Topics.ts). */
export const membersBucket = (clusterName: string): string => `${bucketPrefix(clusterName)}_MEMBERS`

/** The partition-lease bucket of cluster `clusterName`. */
export const leasesBucket = (clusterName: string): string => `${bucketPrefix(clusterName)}_LEASES`

/** The correlator registry bucket of cluster `clusterName`: every deployed revision of every correlator. */
export const correlatorsBucket = (clusterName: string): string => `${bucketPrefix(clusterName)}_CORRELATORS`

/** The stream JetStream keeps a KV bucket in (for reads the KV client does not offer). */
export const bucketStream = (bucket: string): string => `KV_${bucket}`

/** The registry key of one revision of a correlator: `<correlatorId>.<revision>`, written once. */
export const revisionKey = (correlatorId: CorrelatorId, revision: number): string => {
  if (!Number.isSafeInteger(revision) || revision < 1) throw new Error(`invalid revision ${revision}: expected an integer from 1`)
  return `${requireToken("correlator id", correlatorId)}.${revision}`
}

/** The KV key filter of every revision of a correlator. */
export const revisionsFilter = (correlatorId: CorrelatorId): string => `${requireToken("correlator id", correlatorId)}.*`

/** The stream subject of every revision of a correlator in `bucket`'s stream. */
export const revisionsSubject = (bucket: string, correlatorId: CorrelatorId): string => `$KV.${bucket}.${revisionsFilter(correlatorId)}`

/** The revision a registry key (or its stream subject) names; undefined for anything else. */
export const revisionOfKey = (key: string): number | undefined => {
  const revision = Number(key.slice(key.lastIndexOf(".") + 1))
  return Number.isSafeInteger(revision) && revision >= 1 ? revision : undefined
}

/** The membership key of a node: its id, which must be a plain token. */
export const memberKey = (nodeId: string): string => requireToken("node id", nodeId)

/** The lease key of one correlator partition: `<correlatorId>.<partition>`, so one correlator's leases share a prefix. */
export const leaseKey = (correlatorId: CorrelatorId, partition: number): string =>
  `${requireToken("correlator id", correlatorId)}.${requirePartition(partition)}`

/**
 * The identity rendezvous hashing places a partition by. Changing its format moves every
 * partition of the cluster at once, so it is fixed here, apart from the storage key.
 */
export const partitionKey = (correlatorId: CorrelatorId, partition: number): string =>
  `${requireToken("correlator id", correlatorId)}/${requirePartition(partition)}`

/** The smallest TTL the ownership buckets accept: NATS refuses subject delete markers under 1 s. */
export const MinimumTtlMillis = 1_000

/** A membership or lease TTL in whole milliseconds; the in-memory buckets apply the server's minimum too, so a config that runs embedded also runs on NATS. */
export const ttlMillis = (ttl: Duration.DurationInput): number => {
  const millis = Math.round(Duration.toMillis(Duration.decode(ttl)))
  if (!(millis >= MinimumTtlMillis)) throw new Error(`ownership TTL must be at least ${MinimumTtlMillis} ms, got ${Duration.format(Duration.decode(ttl))}`)
  return millis
}

/**
 * The limits of an ownership bucket with a TTL of `ttl` ms. One value per key; a key vanishes
 * a TTL after its last write (max age); the server then writes a MaxAge delete marker so
 * watchers see the expiry; reads go to the stream leader (no direct get), because a lagging
 * replica would answer a fencing check with a stale owner.
 */
export const bucketOptions = (ttl: number, replicas: number): Partial<KvOptions> => {
  const millis = ttlMillis(ttl)
  return { history: 1, ttl: millis, markerTTL: millis, replicas, allow_direct: false }
}

const retryTransient = Schedule.exponential("100 millis").pipe(Schedule.compose(Schedule.recurs(6)))

/**
 * Opens (creating when missing) an ownership bucket and checks its max age: holders time their
 * heartbeats and renewals by the configured TTL, so a bucket that expires keys sooner would let
 * a live holder lose its key unnoticed.
 */
export const openBucket = (connection: NatsConnection, bucket: string, ttl: number, replicas: number): Effect.Effect<KV, OwnershipError> =>
  Effect.gen(function* () {
    const options = bucketOptions(ttl, replicas)
    const { kv, status } = yield* Effect.tryPromise({
      try: async () => {
        const kv = await new Kvm(connection).create(bucket, options)
        return { kv, status: await kv.status() }
      },
      catch: (cause) => new OwnershipError({ message: `cannot open KV bucket ${bucket}`, cause })
    }).pipe(Effect.retry(retryTransient))
    if (status.ttl !== options.ttl || status.markerTTL <= 0) {
      return yield* new OwnershipError({
        message: `KV bucket ${bucket} exists with max age ${status.ttl} ms and marker TTL ${status.markerTTL} ms; this node is configured for ${options.ttl} ms with expiry markers`
      })
    }
    return kv
  })

/** Retries a read or an idempotent write of an ownership bucket through a brief outage. */
export const retryingTransient = <A, R>(effect: Effect.Effect<A, OwnershipError, R>): Effect.Effect<A, OwnershipError, R> =>
  Effect.retry(effect, retryTransient)

/** A NATS connection for the ownership services, its failure told as an OwnershipError. */
export const layerOwnershipConnection = (config: NatsConfig) =>
  layerConnection(config).pipe(Layer.mapError((error) => new OwnershipError({ message: error.message, cause: error })))

