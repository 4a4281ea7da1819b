// Layers on the real test services started by the global setup: a NATS bus, and Cassandra
// stores in a keyspace of their own that is dropped when the layer is released.
import { Effect, Layer } from "effect"
import { inject } from "vitest"
import * as NatsEventBus from "../../cluster/bus/NatsEventBus.ts"
import * as CorrelatorRegistry from "../../cluster/CorrelatorRegistry.ts"
import * as Membership from "../../cluster/ownership/Membership.ts"
import * as PartitionLeases from "../../cluster/ownership/PartitionLeases.ts"
import * as NodeLayers from "../../cluster/NodeLayers.ts"
import * as CassandraClient from "../../storage/cassandra/CassandraClient.ts"
import { dropKeyspace as dropTestKeyspace } from "./dropKeyspace.ts"
import { deleteBucketsWithPrefix } from "./kvCleanup.ts"
import { deleteStreams } from "./natsCleanup.ts"
import { uniqueSuffix } from "./testIds.ts"

export const natsConfig = (): NatsEventBus.NatsConfig => ({ servers: inject("natsServers"), replicas: 3, connectionName: `corvus-test-${uniqueSuffix()}` })

export const natsBus = () => NatsEventBus.layer(natsConfig())

export const cassandraConfig = (): CassandraClient.CassandraConfig => ({
  contactPoints: inject("cassandraContactPoints"),
  localDataCenter: "datacenter1",
  keyspace: `corvus_test_${uniqueSuffix()}`,
  replicationFactor: 1
})

const dropKeyspace = (config: CassandraClient.CassandraConfig) =>
  Layer.scopedDiscard(
    Effect.addFinalizer(() =>
      Effect.promise(() => dropTestKeyspace(config.contactPoints, config.keyspace!))
    )
  )

/** The Cassandra session of a fresh keyspace, dropped on release. */
export const cassandraSession = (config = cassandraConfig()) => Layer.merge(CassandraClient.layer(config), dropKeyspace(config))

export const cassandraStores = (config = cassandraConfig()) =>
  NodeLayers.cassandraStores.pipe(Layer.provide(cassandraSession(config)))

/** Membership, partition leases and the correlator registry of cluster `clusterName` on the test NATS (KV buckets named after it). */
export const natsOwnership = (clusterName: string) =>
  Layer.mergeAll(
    Membership.layer(natsConfig(), { clusterName }),
    PartitionLeases.layer(natsConfig(), { clusterName }),
    CorrelatorRegistry.layer(natsConfig(), { clusterName })
  )

/**
 * A cluster of its own on the test services: nodes built with `layers()` share its NATS streams,
 * KV buckets and Cassandra keyspace, all named after it; `cleanup` (for afterAll) removes them.
 */
export const throwawayCluster = (prefix: string) => {
  const name = `${prefix}${uniqueSuffix()}`.toLowerCase().slice(0, 24)
  const cassandra = cassandraConfig()
  return {
    name,
    layers: () => Layer.orDie(NodeLayers.cluster(name, natsConfig(), cassandra)),
    cleanup: async () => {
      const prefixOfNames = `CORVUS_${name.toUpperCase()}_`
      await deleteStreams(prefixOfNames)
      await deleteBucketsWithPrefix(prefixOfNames)
      await dropTestKeyspace(cassandra.contactPoints, cassandra.keyspace!)
    }
  }
}
