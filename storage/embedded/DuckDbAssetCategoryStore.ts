// The embedded asset category store on DuckDB: categories as JSON bodies beside the columns lists filter on.
import { Effect, Layer, Option, Schema } from "effect"
import { AssetCategory, type AssetCategoryId } from "../../model/AssetCategory.ts"
import type { TenantId } from "../../model/Ids.ts"
import { AssetCategoryStore, AssetCategoryStoreError, assetCategoryMatches, type AssetCategoryQuery } from "../AssetCategoryStore.ts"
import { pageBounds, pageOf, uuidKey } from "../StoreListing.ts"
import { DuckDb, placeholders, type DuckDbError } from "./DuckDb.ts"

const decodeCategory = Schema.decodeUnknownSync(AssetCategory)
const toStoreError = (error: DuckDbError) => new AssetCategoryStoreError({ message: error.message, cause: error.cause })
const categoryOfRow = (row: Record<string, unknown>): AssetCategory => decodeCategory(JSON.parse(String(row.body)))

// Ids (and parent ids) are stored in lower case, so any spelling of a UUID finds its row, as in Cassandra.
const CreateTable = `CREATE TABLE IF NOT EXISTS asset_categories (
  tenant_id VARCHAR NOT NULL, id VARCHAR NOT NULL, name VARCHAR NOT NULL, parent_id VARCHAR, body VARCHAR NOT NULL,
  PRIMARY KEY (tenant_id, id))`

/** Builds the asset category store over DuckDB, creating its table if missing. */
export const make = Effect.gen(function* () {
  const db = yield* DuckDb
  yield* db.query(CreateTable).pipe(Effect.mapError(toStoreError))

  const save = (category: AssetCategory) =>
    db
      .query(`INSERT OR REPLACE INTO asset_categories (tenant_id, id, name, parent_id, body) VALUES (?, ?, ?, ?, ?)`, [
        category.tenantID,
        uuidKey(category.id),
        category.name,
        category.parentID === undefined ? null : uuidKey(category.parentID),
        JSON.stringify(category)
      ])
      .pipe(Effect.asVoid, Effect.mapError(toStoreError))

  const get = (tenantId: TenantId, id: AssetCategoryId) =>
    db.query(`SELECT body FROM asset_categories WHERE tenant_id = ? AND id = ?`, [tenantId, uuidKey(id)]).pipe(
      Effect.map((rows) => Option.fromNullable(rows[0]).pipe(Option.map(categoryOfRow))),
      Effect.mapError(toStoreError)
    )

  const list = (query: AssetCategoryQuery) => {
    if (query.tenantIds.length === 0) return Effect.succeed([])
    if (query.parentIds !== undefined && query.parentIds.length === 0) return Effect.succeed([])
    const where = [`tenant_id IN (${placeholders(query.tenantIds)})`]
    const params: Array<string> = [...query.tenantIds]
    if (query.ids.length > 0) {
      where.push(`id IN (${placeholders(query.ids)})`)
      params.push(...query.ids.map(uuidKey))
    }
    if (query.parentIds !== undefined) {
      where.push(`parent_id IN (${placeholders(query.parentIds)})`)
      params.push(...query.parentIds.map(uuidKey))
    }
    // The name is a JavaScript regular expression, so it filters here and paging follows it.
    const pattern = query.name !== undefined
    const { offset, size } = pageBounds(query.page, query.pageSize)
    const paging = pattern ? "" : ` LIMIT ${size} OFFSET ${offset}`
    // The order is assetCategoryOrder's: name ignoring case, then name, then id.
    return db.query(`SELECT body FROM asset_categories WHERE ${where.join(" AND ")} ORDER BY lower(name), name, id${paging}`, params).pipe(
      Effect.map((rows) => {
        const categories = rows.map(categoryOfRow)
        return pattern ? pageOf(categories.filter(assetCategoryMatches(query)), query.page, query.pageSize) : categories
      }),
      Effect.mapError(toStoreError)
    )
  }

  const remove = (tenantId: TenantId, id: AssetCategoryId) =>
    db.query(`DELETE FROM asset_categories WHERE tenant_id = ? AND id = ? RETURNING id`, [tenantId, uuidKey(id)]).pipe(
      Effect.map((rows) => rows.length > 0),
      Effect.mapError(toStoreError)
    )

  return { save, get, list, delete: remove }
})

/** The embedded asset category store over the process's DuckDB. */
export const layerEmbedded: Layer.Layer<AssetCategoryStore, AssetCategoryStoreError, DuckDb> = Layer.effect(AssetCategoryStore, make)
