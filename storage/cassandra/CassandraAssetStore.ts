// The cluster asset store on Cassandra: one partition of assets per tenant, with the identity
// keys (lower-case FQDN, first IP) beside the body so import can match inside the partition.
import type cassandra from "cassandra-driver"
import { Array as Arr, Effect, Layer, Option, Schema } from "effect"
import { Asset, type AssetId } from "../../model/Asset.ts"
import type { TenantId } from "../../model/Ids.ts"
import {
  AssetStore,
  AssetStoreError,
  assetMatches,
  assetOrder,
  firstIpOf,
  fqdnKey,
  identityPreference,
  type AssetIdentity,
  type AssetQuery
} from "../AssetStore.ts"
import { pageOf, uuidKey } from "../StoreListing.ts"
import { CassandraClient } from "./CassandraClient.ts"
import { readAllRows } from "./CassandraPaging.ts"
import { Tables } from "./CassandraTables.ts"

const decodeAsset = Schema.decodeUnknownSync(Asset)
const assetOfRow = (row: cassandra.types.Row): Asset => decodeAsset(JSON.parse(String(row.get("body"))))

/** Builds the asset store over the Cassandra session. */
export const make = Effect.gen(function* () {
  const { client } = yield* CassandraClient
  const run = <A>(message: string, work: () => Promise<A>) =>
    Effect.tryPromise({ try: work, catch: (cause) => new AssetStoreError({ message, cause }) })

  const save = (asset: Asset) =>
    run("asset write failed", async () => {
      await client.execute(
        `INSERT INTO ${Tables.assets} (tenant_id, id, name, fqdn_key, first_ip, body) VALUES (?, ?, ?, ?, ?, ?)`,
        [asset.tenantID, asset.id, asset.name, fqdnKey(asset.fqdn) ?? null, firstIpOf(asset) ?? null, JSON.stringify(asset)],
        { prepare: true }
      )
    })

  const get = (tenantId: TenantId, id: AssetId) =>
    run("asset read failed", async () => {
      const row = (await client.execute(`SELECT body FROM ${Tables.assets} WHERE tenant_id = ? AND id = ?`, [tenantId, id], { prepare: true })).first()
      return row === null ? Option.none() : Option.some(assetOfRow(row))
    })

  const findByIdentity = (tenantId: TenantId, identity: AssetIdentity) => {
    const fqdn = fqdnKey(identity.fqdn)
    const ip = identity.ip === "" ? undefined : identity.ip
    if (fqdn === undefined && ip === undefined) return Effect.succeed(Option.none<Asset>())
    const [column, value] = fqdn !== undefined ? ["fqdn_key", fqdn] : ["first_ip", ip]
    return run("asset identity read failed", async () => {
      // Filtering is confined to the tenant's partition, so no other tenant's rows are scanned.
      const rows = await readAllRows(client, `SELECT body FROM ${Tables.assets} WHERE tenant_id = ? AND ${column} = ? ALLOW FILTERING`, [tenantId, value])
      return Arr.head(rows.map(assetOfRow).sort(identityPreference))
    })
  }

  const list = (query: AssetQuery) =>
    run("asset list failed", async () => {
      const matches = assetMatches(query)
      const selected: Array<Asset> = []
      for (const tenantId of new Set(query.tenantIds)) {
        const rows =
          query.ids.length > 0
            ? (await client.execute(`SELECT body FROM ${Tables.assets} WHERE tenant_id = ? AND id IN ?`, [tenantId, [...new Set(query.ids.map(uuidKey))]], { prepare: true }))
                .rows
            : await readAllRows(client, `SELECT body FROM ${Tables.assets} WHERE tenant_id = ?`, [tenantId])
        selected.push(...rows.map(assetOfRow).filter(matches))
      }
      return pageOf(selected.sort(assetOrder), query.page, query.pageSize)
    })

  const remove = (tenantId: TenantId, ids: ReadonlyArray<AssetId>) =>
    ids.length === 0
      ? Effect.succeed(0)
      : run("asset delete failed", async () => {
          const wanted = [...new Set(ids.map(uuidKey))]
          const present = (await client.execute(`SELECT id FROM ${Tables.assets} WHERE tenant_id = ? AND id IN ?`, [tenantId, wanted], { prepare: true })).rows.map(
            (row) => String(row.get("id"))
          )
          // The count is of rows seen just before the delete; two deletes racing may both count one.
          if (present.length > 0) {
            await client.execute(`DELETE FROM ${Tables.assets} WHERE tenant_id = ? AND id IN ?`, [tenantId, present], { prepare: true })
          }
          return present.length
        })

  return { save, get, findByIdentity, list, delete: remove }
})

/** The Cassandra asset store over the process's session. */
export const layer: Layer.Layer<AssetStore, never, CassandraClient> = Layer.effect(AssetStore, make)
