// The two ways to provide a node's ports: embedded (in-process bus, DuckDB) for `npm start`,
// and cluster (NATS JetStream, Cassandra). Wired only by entry points and tests.
import { type ConfigError, Effect, Layer } from "effect"
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
import * as DuckDbAssetStore from "../storage/embedded/DuckDbAssetStore.ts"
import * as DuckDbIncidentStore from "../storage/embedded/DuckDbIncidentStore.ts"
import * as DuckDbResourceFileStore from "../storage/embedded/DuckDbResourceFileStore.ts"
import * as DuckDbResourceStore from "../storage/embedded/DuckDbResourceStore.ts"
import * as DuckDbServiceStore from "../storage/embedded/DuckDbServiceStore.ts"
import * as DuckDbUserStore from "../storage/embedded/DuckDbUserStore.ts"
import * as DuckDbAssetCategoryStore from "../storage/embedded/DuckDbAssetCategoryStore.ts"
import * as DuckDbSettingsStore from "../storage/embedded/DuckDbSettingsStore.ts"
import * as CassandraAssetStore from "../storage/cassandra/CassandraAssetStore.ts"
import * as CassandraIncidentStore from "../storage/cassandra/CassandraIncidentStore.ts"
import * as CassandraResourceFileStore from "../storage/cassandra/CassandraResourceFileStore.ts"
import * as CassandraResourceStore from "../storage/cassandra/CassandraResourceStore.ts"
import * as CassandraServiceStore from "../storage/cassandra/CassandraServiceStore.ts"
import * as CassandraUserStore from "../storage/cassandra/CassandraUserStore.ts"
import * as CassandraAssetCategoryStore from "../storage/cassandra/CassandraAssetCategoryStore.ts"
import * as CassandraSettingsStore from "../storage/cassandra/CassandraSettingsStore.ts"
import type { GatewayStores } from "../gateway/ApiContext.ts"
import type { AssetStoreError } from "../storage/AssetStore.ts"
import type { IncidentStoreError } from "../storage/IncidentStore.ts"
import type { ServiceStoreError } from "../storage/ServiceStore.ts"
import type { AssetCategoryStoreError } from "../storage/AssetCategoryStore.ts"
import { SettingsDefaults, type SettingsStoreError } from "../storage/SettingsStore.ts"
import { settingsDefaults } from "../model/Settings.ts"
import { AutoLinkWindowDays } from "./NodeConfig.ts"
import type { CheckpointStore } from "../storage/CheckpointStore.ts"
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
  | GatewayStores
  | CheckpointStore
  | EventBus
  | Membership.Membership
  | PartitionLeases.PartitionLeases
  | CorrelatorRegistry.CorrelatorRegistry
  | Topics.Topics

/** The settings of tenants that saved none: the node config's (CORVUS_INCIDENT_AUTOLINK_DAYS). */
export const settingsDefaultsFromConfig: Layer.Layer<SettingsDefaults, ConfigError.ConfigError> = Layer.effect(SettingsDefaults, Effect.map(AutoLinkWindowDays, settingsDefaults))

/** Every store the gateway and the data path use, on one DuckDB database. */
export const embeddedStores = Layer.mergeAll(
  DuckDbEventStore.layerEmbedded,
  DuckDbAlertStore.layerEmbedded,
  DuckDbUserStore.layerEmbedded,
  DuckDbIncidentStore.layerEmbedded,
  DuckDbAssetStore.layerEmbedded,
  DuckDbServiceStore.layerEmbedded,
  DuckDbResourceStore.layerEmbedded,
  DuckDbResourceFileStore.layerEmbedded,
  DuckDbAssetCategoryStore.layerEmbedded,
  DuckDbSettingsStore.layerEmbedded,
  settingsDefaultsFromConfig
)

/** Every store, checkpoints included, on one Cassandra session. */
export const cassandraStores = Layer.mergeAll(
  CassandraEventStore.layer,
  CassandraAlertStore.layer,
  CassandraCheckpointStore.layer,
  CassandraUserStore.layer,
  CassandraIncidentStore.layer,
  CassandraAssetStore.layer,
  CassandraServiceStore.layer,
  CassandraResourceStore.layer,
  CassandraResourceFileStore.layer,
  CassandraAssetCategoryStore.layer,
  CassandraSettingsStore.layer,
  settingsDefaultsFromConfig
)

/** Embedded stores in `dataDir` (":memory:" keeps nothing) and the in-process bus. */
export const embedded = (dataDir: string): Layer.Layer<NodePorts, DuckDb.DuckDbError | AssetStoreError | IncidentStoreError | ServiceStoreError | AssetCategoryStoreError | SettingsStoreError | ConfigError.ConfigError> => {
  const path = dataDir === ":memory:" ? dataDir : (mkdirSync(dataDir, { recursive: true }), join(dataDir, "corvus.duckdb"))
  const stores = embeddedStores.pipe(Layer.provide(DuckDb.layer(path)))
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
): Layer.Layer<NodePorts, BusError | CassandraError | OwnershipError | CorrelatorRegistry.CorrelatorRegistryError | ConfigError.ConfigError> => {
  const stores = cassandraStores.pipe(Layer.provide(CassandraClient.layer(cassandra)))
  // One NATS connection serves the ownership services and the correlator registry.
  const ownership = Layer.mergeAll(
    Layer.effect(Membership.Membership, Membership.make({ clusterName, replicas: nats.replicas })),
    Layer.effect(PartitionLeases.PartitionLeases, PartitionLeases.make({ clusterName, replicas: nats.replicas })),
    Layer.effect(CorrelatorRegistry.CorrelatorRegistry, CorrelatorRegistry.make({ clusterName, replicas: nats.replicas }))
  ).pipe(Layer.provide(layerOwnershipConnection(nats)))
  return Layer.mergeAll(stores, ownership, NatsEventBus.layer(nats), Topics.layer(clusterName))
}
