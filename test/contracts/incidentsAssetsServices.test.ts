// The incident, asset and service store contracts on both backends: embedded DuckDB and
// Cassandra (a fresh keyspace per store, dropped afterwards).
import { Layer } from "effect"
import * as CassandraAssetStore from "../../storage/cassandra/CassandraAssetStore.ts"
import * as CassandraIncidentStore from "../../storage/cassandra/CassandraIncidentStore.ts"
import * as CassandraServiceStore from "../../storage/cassandra/CassandraServiceStore.ts"
import * as DuckDb from "../../storage/embedded/DuckDb.ts"
import * as DuckDbAssetStore from "../../storage/embedded/DuckDbAssetStore.ts"
import * as DuckDbIncidentStore from "../../storage/embedded/DuckDbIncidentStore.ts"
import * as DuckDbServiceStore from "../../storage/embedded/DuckDbServiceStore.ts"
import { cassandraSession } from "../support/clusterLayers.ts"
import { assetStoreContract } from "./AssetStoreContract.ts"
import { incidentStoreContract } from "./IncidentStoreContract.ts"
import { serviceStoreContract } from "./ServiceStoreContract.ts"

incidentStoreContract("DuckDB", DuckDbIncidentStore.layerEmbedded.pipe(Layer.provide(DuckDb.layer(":memory:"))))
assetStoreContract("DuckDB", DuckDbAssetStore.layerEmbedded.pipe(Layer.provide(DuckDb.layer(":memory:"))))
serviceStoreContract("DuckDB", DuckDbServiceStore.layerEmbedded.pipe(Layer.provide(DuckDb.layer(":memory:"))))

incidentStoreContract("Cassandra", CassandraIncidentStore.layer.pipe(Layer.provide(cassandraSession())))
assetStoreContract("Cassandra", CassandraAssetStore.layer.pipe(Layer.provide(cassandraSession())))
serviceStoreContract("Cassandra", CassandraServiceStore.layer.pipe(Layer.provide(cassandraSession())))
