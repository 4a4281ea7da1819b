// The two ways to provide a node's ports: embedded (in-process bus, DuckDB) for `npm start`,
// and cluster (NATS JetStream, Cassandra). Wired only by entry points and tests.
import { Layer } from "effect"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import * as CassandraAlertStore from "../storage/cassandra/CassandraAlertStore.ts"
import * as CassandraClient from "../storage/cassandra/CassandraClient.ts"
import type { CassandraError } from "../storage/cassandra/CassandraError.ts"
import * as CassandraEventStore from "../storage/cassandra/CassandraEventStore.ts"
import * as DuckDb from "../storage/embedded/DuckDb.ts"
import * as DuckDbAlertStore from "../storage/embedded/DuckDbAlertStore.ts"
import * as DuckDbEventStore from "../storage/embedded/DuckDbEventStore.ts"
import type { AlertStore } from "../storage/AlertStore.ts"
import type { EventStore } from "../storage/EventStore.ts"
import type { BusError, EventBus } from "./EventBus.ts"
import * as EmbeddedEventBus from "./bus/EmbeddedEventBus.ts"
import * as NatsEventBus from "./bus/NatsEventBus.ts"
import * as Topics from "./Topics.ts"

/** The ports every node needs. */
export type NodePorts = EventBus | EventStore | AlertStore | Topics.Topics

/** Embedded stores in `dataDir` (":memory:" keeps nothing) and the in-process bus. */
export const embedded = (dataDir: string): Layer.Layer<NodePorts, DuckDb.DuckDbError> => {
  const path = dataDir === ":memory:" ? dataDir : (mkdirSync(dataDir, { recursive: true }), join(dataDir, "corvus.duckdb"))
  const stores = Layer.merge(DuckDbEventStore.layerEmbedded, DuckDbAlertStore.layerEmbedded).pipe(Layer.provide(DuckDb.layer(path)))
  return Layer.mergeAll(stores, EmbeddedEventBus.layerEmbedded, Topics.layer("embedded"))
}

/** JetStream and Cassandra. */
export const cluster = (
  clusterName: string,
  nats: NatsEventBus.NatsConfig,
  cassandra: CassandraClient.CassandraConfig
): Layer.Layer<NodePorts, BusError | CassandraError> => {
  const stores = Layer.merge(CassandraEventStore.layer, CassandraAlertStore.layer).pipe(Layer.provide(CassandraClient.layer(cassandra)))
  return Layer.mergeAll(stores, NatsEventBus.layer(nats), Topics.layer(clusterName))
}
