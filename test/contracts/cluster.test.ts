// The port contracts against the real services: NATS JetStream (3 nodes) and Cassandra.
import { afterAll } from "vitest"
import { jetstreamManager } from "@nats-io/jetstream"
import { connect } from "@nats-io/transport-node"
import { inject } from "vitest"
import * as CassandraAlertStore from "../../storage/cassandra/CassandraAlertStore.ts"
import * as CassandraEventStore from "../../storage/cassandra/CassandraEventStore.ts"
import { Layer } from "effect"
import { cassandraSession, natsBus } from "../support/clusterLayers.ts"
import { alertStoreContract } from "./AlertStoreContract.ts"
import { eventBusContract } from "./EventBusContract.ts"
import { eventStoreContract } from "./EventStoreContract.ts"

eventBusContract("NATS JetStream", natsBus)
eventStoreContract("Cassandra", CassandraEventStore.layer.pipe(Layer.provide(cassandraSession())))
alertStoreContract("Cassandra", CassandraAlertStore.layer.pipe(Layer.provide(cassandraSession())))

// The contract's streams are throwaway; leave the shared cluster as we found it.
afterAll(async () => {
  const connection = await connect({ servers: inject("natsServers") })
  try {
    const manager = await jetstreamManager(connection)
    for await (const name of manager.streams.names()) if (name.startsWith("CONTRACT_")) await manager.streams.delete(name)
  } finally {
    await connection.close()
  }
})
