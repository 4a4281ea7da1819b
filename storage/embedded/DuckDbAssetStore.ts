// The embedded asset store on DuckDB: assets as JSON bodies beside their name and identity keys.
import { Array as Arr, Effect, Layer, Option, Schema } from "effect"
import { Asset, type AssetId } from "../../model/Asset.ts"
import type { TenantId } from "../../model/Ids.ts"
import {
  AssetStore,
  AssetStoreError,
  assetMatches,
  firstIpOf,
  fqdnKey,
  hasPatterns,
  identityPreference,
  type AssetIdentity,
  type AssetQuery
} from "../AssetStore.ts"
import { pageBounds, pageOf, uuidKey } from "../StoreListing.ts"
import { DuckDb, placeholders, type DuckDbError } from "./DuckDb.ts"

const decodeAsset = Schema.decodeUnknownSync(Asset)
const toStoreError = (error: DuckDbError) => new AssetStoreError({ message: error.message, cause: error.cause })
const assetOfRow = (row: Record<string, unknown>): Asset => decodeAsset(JSON.parse(String(row.body)))

// Ids are stored in lower case, so any spelling of a UUID finds its row, as in Cassandra.
const CreateTable = `CREATE TABLE IF NOT EXISTS assets (
  tenant_id VARCHAR NOT NULL, id VARCHAR NOT NULL, name VARCHAR NOT NULL, fqdn_key VARCHAR, first_ip VARCHAR, body VARCHAR NOT NULL,
  PRIMARY KEY (tenant_id, id))`

/** Builds the asset store over DuckDB, creating its table if missing. */
export const make = Effect.gen(function* () {
  const db = yield* DuckDb
  yield* db.query(CreateTable).pipe(Effect.mapError(toStoreError))

  const save = (asset: Asset) =>
    db
      .query(`INSERT OR REPLACE INTO assets (tenant_id, id, name, fqdn_key, first_ip, body) VALUES (?, ?, ?, ?, ?, ?)`, [
        asset.tenantID,
        uuidKey(asset.id),
        asset.name,
        fqdnKey(asset.fqdn) ?? null,
        firstIpOf(asset) ?? null,
        JSON.stringify(asset)
      ])
      .pipe(Effect.asVoid, Effect.mapError(toStoreError))

  const get = (tenantId: TenantId, id: AssetId) =>
    db.query(`SELECT body FROM assets WHERE tenant_id = ? AND id = ?`, [tenantId, uuidKey(id)]).pipe(
      Effect.map((rows) => Option.fromNullable(rows[0]).pipe(Option.map(assetOfRow))),
      Effect.mapError(toStoreError)
    )

  const findByIdentity = (tenantId: TenantId, identity: AssetIdentity) => {
    const fqdn = fqdnKey(identity.fqdn)
    const ip = identity.ip === "" ? undefined : identity.ip
    if (fqdn === undefined && ip === undefined) return Effect.succeed(Option.none<Asset>())
    const [column, value] = fqdn !== undefined ? ["fqdn_key", fqdn] : ["first_ip", ip ?? ""]
    return db.query(`SELECT body FROM assets WHERE tenant_id = ? AND ${column} = ?`, [tenantId, value]).pipe(
      Effect.map((rows) => Arr.head(rows.map(assetOfRow).sort(identityPreference))),
      Effect.mapError(toStoreError)
    )
  }

  const list = (query: AssetQuery) => {
    if (query.tenantIds.length === 0) return Effect.succeed([])
    const where = [`tenant_id IN (${placeholders(query.tenantIds)})`]
    const params: Array<string> = [...query.tenantIds]
    if (query.ids.length > 0) {
      where.push(`id IN (${placeholders(query.ids)})`)
      params.push(...query.ids.map(uuidKey))
    }
    // Patterns are JavaScript regular expressions, so they filter here and paging follows them.
    const patterns = hasPatterns(query)
    const { offset, size } = pageBounds(query.page, query.pageSize)
    const paging = patterns ? "" : ` LIMIT ${size} OFFSET ${offset}`
    // The order is assetOrder's: name ignoring case, then name, then id.
    return db.query(`SELECT body FROM assets WHERE ${where.join(" AND ")} ORDER BY lower(name), name, id${paging}`, params).pipe(
      Effect.map((rows) => {
        const assets = rows.map(assetOfRow)
        return patterns ? pageOf(assets.filter(assetMatches(query)), query.page, query.pageSize) : assets
      }),
      Effect.mapError(toStoreError)
    )
  }

  const remove = (tenantId: TenantId, ids: ReadonlyArray<AssetId>) => {
    if (ids.length === 0) return Effect.succeed(0)
    const wanted = [...new Set(ids.map(uuidKey))]
    return db.query(`DELETE FROM assets WHERE tenant_id = ? AND id IN (${placeholders(wanted)}) RETURNING id`, [tenantId, ...wanted]).pipe(
      Effect.map((rows) => rows.length),
      Effect.mapError(toStoreError)
    )
  }

  return { save, get, findByIdentity, list, delete: remove }
})

/** The embedded asset store over the process's DuckDB. */
export const layerEmbedded: Layer.Layer<AssetStore, AssetStoreError, DuckDb> = Layer.effect(AssetStore, make)
