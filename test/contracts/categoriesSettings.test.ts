// The asset category and settings store contracts on both backends: embedded DuckDB and
// Cassandra (a fresh keyspace per store, dropped afterwards).
import { Layer } from "effect"
import * as CassandraAssetCategoryStore from "../../storage/cassandra/CassandraAssetCategoryStore.ts"
import * as CassandraSettingsStore from "../../storage/cassandra/CassandraSettingsStore.ts"
import * as DuckDb from "../../storage/embedded/DuckDb.ts"
import * as DuckDbAssetCategoryStore from "../../storage/embedded/DuckDbAssetCategoryStore.ts"
import * as DuckDbSettingsStore from "../../storage/embedded/DuckDbSettingsStore.ts"
import { cassandraSession } from "../support/clusterLayers.ts"
import { assetCategoryStoreContract } from "./AssetCategoryStoreContract.ts"
import { settingsStoreContract } from "./SettingsStoreContract.ts"

assetCategoryStoreContract("DuckDB", DuckDbAssetCategoryStore.layerEmbedded.pipe(Layer.provide(DuckDb.layer(":memory:"))))
settingsStoreContract("DuckDB", DuckDbSettingsStore.layerEmbedded.pipe(Layer.provide(DuckDb.layer(":memory:"))))

assetCategoryStoreContract("Cassandra", CassandraAssetCategoryStore.layer.pipe(Layer.provide(cassandraSession())))
settingsStoreContract("Cassandra", CassandraSettingsStore.layer.pipe(Layer.provide(cassandraSession())))
