// The CorrelatorRegistry contract on the in-memory store and on the real 3-node NATS cluster (an
// R3 KV bucket of a test cluster of its own, deleted afterwards).
import { Effect } from "effect"
import { afterAll } from "vitest"
import * as CorrelatorRegistry from "../../cluster/CorrelatorRegistry.ts"
import { correlatorsBucket } from "../../cluster/ownership/OwnershipNames.ts"
import { natsConfig } from "../support/clusterLayers.ts"
import { deleteBuckets, deleteBucketsWithPrefix } from "../support/kvCleanup.ts"
import { uniqueSuffix } from "../support/testIds.ts"
import { correlatorRegistryContract } from "./CorrelatorRegistryContract.ts"

const TestBucketPrefix = "CORVUS_REG"

/** A cluster name of its own whose registry bucket is deleted when the test's scope closes. */
const testCluster = Effect.acquireRelease(
  Effect.sync(() => `reg${uniqueSuffix()}`),
  (clusterName) => Effect.promise(() => deleteBuckets([correlatorsBucket(clusterName)]))
)

correlatorRegistryContract("in memory", Effect.sync(() => {
  const store = CorrelatorRegistry.memoryStore()
  return { node: () => CorrelatorRegistry.layerMemory(store) }
}))

correlatorRegistryContract("NATS KV (R3)", Effect.map(testCluster, (clusterName) => ({
  node: () => CorrelatorRegistry.layer(natsConfig(), { clusterName })
})))

// A test that died before its finalizer ran leaves its bucket behind; remove it too.
afterAll(() => deleteBucketsWithPrefix(TestBucketPrefix))
