// The ownership contracts (membership, partition leases) on the in-memory implementations under a
// TestClock, and on the real 3-node NATS cluster (R3 buckets, real time, short TTLs).
import { Duration, Effect, TestClock } from "effect"
import { afterAll } from "vitest"
import * as Membership from "../../cluster/ownership/Membership.ts"
import { leasesBucket, membersBucket } from "../../cluster/ownership/OwnershipNames.ts"
import * as PartitionLeases from "../../cluster/ownership/PartitionLeases.ts"
import { natsConfig } from "../support/clusterLayers.ts"
import { eventually } from "../support/eventually.ts"
import { deleteBuckets, deleteBucketsWithPrefix } from "../support/kvCleanup.ts"
import { uniqueSuffix } from "../support/testIds.ts"
import { membershipContract, type ContractTime } from "./MembershipContract.ts"
import { partitionLeasesContract } from "./PartitionLeasesContract.ts"

// Background fibers (heartbeats, watchers) run when the test fiber yields; a TestClock never
// moves on its own, so a few hundred yields settle everything that is not waiting on time.
const settle = <A, E, R>(observe: Effect.Effect<A, E, R>, holds: (value: A) => boolean) =>
  Effect.gen(function* () {
    let last = yield* observe
    for (let round = 0; round < 200 && !holds(last); round++) {
      yield* Effect.yieldNow()
      last = yield* observe
    }
    if (!holds(last)) return yield* Effect.dieMessage(`condition did not hold; last value: ${JSON.stringify(last)}`)
    return last
  })

const testClockTime: ContractTime = {
  advance: (duration) => TestClock.adjust(duration),
  within: (duration, observe, holds) => Effect.zipRight(TestClock.adjust(duration), settle(observe, holds))
}

// The server expires a key on a timer after its max age; ~200 ms late was seen on the test cluster.
const ServerExpirySlackMillis = 1_000

const realTime: ContractTime = {
  advance: (duration) => Effect.sleep(duration),
  within: (duration, observe, holds) => eventually(observe, holds, Duration.toMillis(Duration.decode(duration)) + ServerExpirySlackMillis)
}

// The smallest TTLs NATS allows with expiry markers (1 s) would make heartbeats every 333 ms;
// these keep the NATS suites short while leaving room for R3 round trips.
const MembershipTtl = Duration.millis(1_500)
const LeaseTtl = Duration.seconds(2)

const TestBucketPrefix = "CORVUS_OWN"

/** A cluster name of its own whose buckets are deleted when the test's scope closes. */
const testCluster = Effect.acquireRelease(
  Effect.sync(() => `own${uniqueSuffix()}`),
  (clusterName) => Effect.promise(() => deleteBuckets([membersBucket(clusterName), leasesBucket(clusterName)]))
)

membershipContract("in memory", false, Effect.sync(() => {
  const bucket = Membership.memoryBucket()
  return { node: () => Membership.layerMemory(bucket), time: testClockTime }
}))

partitionLeasesContract("in memory", false, Effect.sync(() => {
  const bucket = PartitionLeases.memoryBucket()
  return { node: () => PartitionLeases.layerMemory(bucket), time: testClockTime }
}))

membershipContract("NATS KV (R3)", true, Effect.map(testCluster, (clusterName) => ({
  node: () => Membership.layer(natsConfig(), { clusterName, ttl: MembershipTtl }),
  time: realTime
})))

partitionLeasesContract("NATS KV (R3)", true, Effect.map(testCluster, (clusterName) => ({
  node: () => PartitionLeases.layer(natsConfig(), { clusterName, ttl: LeaseTtl }),
  time: realTime
})))

// A test that died before its finalizer ran leaves its buckets behind; remove them too.
afterAll(() => deleteBucketsWithPrefix(TestBucketPrefix))
