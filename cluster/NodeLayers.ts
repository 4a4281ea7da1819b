// The two ways to provide a node's ports: embedded (in-process bus, DuckDB) for `npm start`,
// and cluster (NATS JetStream, Cassandra). Wired only by entry points and tests.
import { Layer } from "effect"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import * as CassandraAlertStore from "../storage/cassandra/CassandraAlertStore.ts"
import * as CassandraCheckpointStore from "../storage/cassandra/CassandraCheckpointStore.ts"
import * as CassandraClient from "../storage/cassandra/CassandraClient.ts"
import type { CassandraError } from "../storage/cassandra/CassandraError.ts"
import * as CassandraEventStore from "../storage/cassandra/CassandraEventStore.ts"
import * as DuckDb from "../storage/embedded/DuckDb.ts"
import * as DuckDbAlertStore from "../storage/embedded/DuckDbAlertStore.ts"
import * as DuckDbCheckpointStore from "../storage/embedded/DuckDbCheckpointStore.ts"
import * as DuckDbEventStore from "../storage/embedded/DuckDbEventStore.ts"
import type { AlertStore } from "../storage/AlertStore.ts"
import type { CheckpointStore } from "../storage/CheckpointStore.ts"
import type { EventStore } from "../storage/EventStore.ts"
import type { BusError, EventBus } from "./EventBus.ts"
import * as EmbeddedEventBus from "./bus/EmbeddedEventBus.ts"
import * as CorrelatorRegistry from "./CorrelatorRegistry.ts"
import * as NatsEventBus from "./bus/NatsEventBus.ts"
import * as Membership from "./ownership/Membership.ts"
import { layerOwnershipConnection, type OwnershipError } from "./ownership/OwnershipNames.ts"
import * as PartitionLeases from "./ownership/PartitionLeases.ts"
import * as Topics from "./Topics.ts"

/** The ports every node needs. */
export type NodePorts =
  | EventBus
  | EventStore
  | AlertStore
  | CheckpointStore
  | Membership.Membership
  | PartitionLeases.PartitionLeases
  | CorrelatorRegistry.CorrelatorRegistry
  | Topics.Topics

/** Embedded stores in `dataDir` (":memory:" keeps nothing) and the in-process bus. */
export const embedded = (dataDir: string): Layer.Layer<NodePorts, DuckDb.DuckDbError> => {
  const path = dataDir === ":memory:" ? dataDir : (mkdirSync(dataDir, { recursive: true }), join(dataDir, "corvus.duckdb"))
  const stores = Layer.merge(DuckDbEventStore.layerEmbedded, DuckDbAlertStore.layerEmbedded).pipe(Layer.provide(DuckDb.layer(path)))
  // Checkpoints name positions in the in-process bus, which a restart empties: they live and
  // die with it, in a database of their own.
  const checkpoints = DuckDbCheckpointStore.layerEmbedded.pipe(Layer.provide(DuckDb.layer(":memory:")))
  const ownership = Layer.mergeAll(Membership.layerMemory(), PartitionLeases.layerMemory(), CorrelatorRegistry.layerMemory())
  return Layer.mergeAll(stores, checkpoints, ownership, EmbeddedEventBus.layerEmbedded, Topics.layer("embedded"))
}

/** JetStream and Cassandra. */
export const cluster = (
  clusterName: string,
  nats: NatsEventBus.NatsConfig,
  cassandra: CassandraClient.CassandraConfig
): Layer.Layer<NodePorts, BusError | CassandraError | OwnershipError | CorrelatorRegistry.CorrelatorRegistryError> => {
  const stores = Layer.mergeAll(CassandraEventStore.layer, CassandraAlertStore.layer, CassandraCheckpointStore.layer).pipe(Layer.provide(CassandraClient.layer(cassandra)))
  // One NATS connection serves the ownership services and the correlator registry.
  const ownership = Layer.mergeAll(
    Layer.effect(Membership.Membership, Membership.make({ clusterName, replicas: nats.replicas })),
    Layer.effect(PartitionLeases.PartitionLeases, PartitionLeases.make({ clusterName, replicas: nats.replicas })),
    Layer.effect(CorrelatorRegistry.CorrelatorRegistry, CorrelatorRegistry.make({ clusterName, replicas: nats.replicas }))
  ).pipe(Layer.provide(layerOwnershipConnection(nats)))
  return Layer.mergeAll(stores, ownership, NatsEventBus.layer(nats), Topics.layer(clusterName))
}
