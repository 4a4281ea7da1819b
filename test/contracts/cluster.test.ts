// The port contracts against the real services: NATS JetStream (3 nodes) and Cassandra.
import { afterAll } from "vitest"
import { deleteStreams } from "../support/natsCleanup.ts"
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
afterAll(() => deleteStreams("CONTRACT_"))
