// The cluster asset category store on Cassandra: one partition of categories per tenant, bodies as JSON.
import type cassandra from "cassandra-driver"
import { Effect, Layer, Option, Schema } from "effect"
import { AssetCategory, type AssetCategoryId } from "../../model/AssetCategory.ts"
import type { TenantId } from "../../model/Ids.ts"
import { AssetCategoryStore, AssetCategoryStoreError, assetCategoryMatches, assetCategoryOrder, type AssetCategoryQuery } from "../AssetCategoryStore.ts"
import { pageOf, uuidKey } from "../StoreListing.ts"
import { CassandraClient } from "./CassandraClient.ts"
import { readAllRows } from "./CassandraPaging.ts"
import { Tables } from "./CassandraTables.ts"

const decodeCategory = Schema.decodeUnknownSync(AssetCategory)
const categoryOfRow = (row: cassandra.types.Row): AssetCategory => decodeCategory(JSON.parse(String(row.get("body"))))

/** Builds the asset category store over the Cassandra session. */
export const make = Effect.gen(function* () {
  const { client } = yield* CassandraClient
  const run = <A>(message: string, work: () => Promise<A>) =>
    Effect.tryPromise({ try: work, catch: (cause) => new AssetCategoryStoreError({ message, cause }) })

  const save = (category: AssetCategory) =>
    run("asset category write failed", async () => {
      await client.execute(
        `INSERT INTO ${Tables.assetCategories} (tenant_id, id, name, parent_id, body) VALUES (?, ?, ?, ?, ?)`,
        [category.tenantID, category.id, category.name, category.parentID ?? null, JSON.stringify(category)],
        { prepare: true }
      )
    })

  const get = (tenantId: TenantId, id: AssetCategoryId) =>
    run("asset category read failed", async () => {
      const row = (await client.execute(`SELECT body FROM ${Tables.assetCategories} WHERE tenant_id = ? AND id = ?`, [tenantId, id], { prepare: true })).first()
      return row === null ? Option.none() : Option.some(categoryOfRow(row))
    })

  const list = (query: AssetCategoryQuery) =>
    run("asset category list failed", async () => {
      const matches = assetCategoryMatches(query)
      const selected: Array<AssetCategory> = []
      for (const tenantId of new Set(query.tenantIds)) {
        // A tenant's categories are one small partition: read whole, filtered here.
        const rows =
          query.ids.length > 0
            ? (await client.execute(`SELECT body FROM ${Tables.assetCategories} WHERE tenant_id = ? AND id IN ?`, [tenantId, [...new Set(query.ids.map(uuidKey))]], { prepare: true }))
                .rows
            : await readAllRows(client, `SELECT body FROM ${Tables.assetCategories} WHERE tenant_id = ?`, [tenantId])
        selected.push(...rows.map(categoryOfRow).filter(matches))
      }
      return pageOf(selected.sort(assetCategoryOrder), query.page, query.pageSize)
    })

  const remove = (tenantId: TenantId, id: AssetCategoryId) =>
    run("asset category delete failed", async () => {
      const present = (await client.execute(`SELECT id FROM ${Tables.assetCategories} WHERE tenant_id = ? AND id = ?`, [tenantId, id], { prepare: true })).first() !== null
      if (present) await client.execute(`DELETE FROM ${Tables.assetCategories} WHERE tenant_id = ? AND id = ?`, [tenantId, id], { prepare: true })
      return present
    })

  return { save, get, list, delete: remove }
})

/** The Cassandra asset category store over the process's session. */
export const layer: Layer.Layer<AssetCategoryStore, never, CassandraClient> = Layer.effect(AssetCategoryStore, make)
