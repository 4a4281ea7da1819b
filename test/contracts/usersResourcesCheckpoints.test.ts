// The user, resource, resource file and checkpoint contracts against both backends: DuckDB in
// memory, and Cassandra in a keyspace of its own (all migrations applied, dropped afterwards).
import { layer } from "@effect/vitest"
import { Layer } from "effect"
import * as CassandraCheckpointStore from "../../storage/cassandra/CassandraCheckpointStore.ts"
import * as CassandraResourceFileStore from "../../storage/cassandra/CassandraResourceFileStore.ts"
import * as CassandraResourceStore from "../../storage/cassandra/CassandraResourceStore.ts"
import * as CassandraUserStore from "../../storage/cassandra/CassandraUserStore.ts"
import * as DuckDb from "../../storage/embedded/DuckDb.ts"
import * as DuckDbCheckpointStore from "../../storage/embedded/DuckDbCheckpointStore.ts"
import * as DuckDbResourceFileStore from "../../storage/embedded/DuckDbResourceFileStore.ts"
import * as DuckDbResourceStore from "../../storage/embedded/DuckDbResourceStore.ts"
import * as DuckDbUserStore from "../../storage/embedded/DuckDbUserStore.ts"
import { cassandraSession } from "../support/clusterLayers.ts"
import { checkpointStoreContract } from "./CheckpointStoreContract.ts"
import { resourceFileStoreContract } from "./ResourceFileStoreContract.ts"
import { resourceStoreContract } from "./ResourceStoreContract.ts"
import { userStoreContract } from "./UserStoreContract.ts"

const options = { timeout: "180 seconds", excludeTestServices: true } as const

const embeddedStores = Layer.mergeAll(
  DuckDbUserStore.layerEmbedded,
  DuckDbResourceStore.layerEmbedded,
  DuckDbResourceFileStore.layerEmbedded,
  DuckDbCheckpointStore.layerEmbedded
).pipe(Layer.provide(DuckDb.layer(":memory:")))

// One keyspace for the four stores: migrations take seconds per table on Cassandra.
const cassandraStores = Layer.mergeAll(
  CassandraUserStore.layer,
  CassandraResourceStore.layer,
  CassandraResourceFileStore.layer,
  CassandraCheckpointStore.layer
).pipe(Layer.provide(cassandraSession()))

layer(embeddedStores, options)("DuckDB", (it) => {
  userStoreContract(it)
  resourceStoreContract(it)
  resourceFileStoreContract(it)
  checkpointStoreContract(it)
})

layer(cassandraStores, options)("Cassandra", (it) => {
  userStoreContract(it)
  resourceStoreContract(it)
  resourceFileStoreContract(it)
  checkpointStoreContract(it)
})
