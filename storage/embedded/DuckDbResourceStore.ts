// The embedded resource store on DuckDB: resources as JSON bodies keyed by (tenant, id); every
// read is limited to the tenants the caller names.
import { Effect, Layer, Option, Schema } from "effect"
import type { TenantId } from "../../model/Ids.ts"
import { Resource, type ResourceId } from "../../model/Resource.ts"
import { ResourceStore, ResourceStoreError, selectResources, type ResourceQuery } from "../ResourceStore.ts"
import { DuckDb, placeholders, type DuckDbError } from "./DuckDb.ts"

const decodeResource = Schema.decodeUnknownSync(Resource)
const toStoreError = (error: DuckDbError) => new ResourceStoreError({ message: error.message, cause: error.cause })

/** Builds the embedded resource store, creating its table if missing. */
export const make = Effect.gen(function* () {
  const db = yield* DuckDb
  yield* db.query(`CREATE TABLE IF NOT EXISTS resources (tenant_id VARCHAR NOT NULL, id VARCHAR NOT NULL, body VARCHAR NOT NULL, PRIMARY KEY (tenant_id, id))`)

  const save = (resource: Resource) =>
    db
      .query(`INSERT OR REPLACE INTO resources (tenant_id, id, body) VALUES (?, ?, ?)`, [resource.tenantID, resource.id, JSON.stringify(resource)])
      .pipe(Effect.asVoid, Effect.mapError(toStoreError))

  const get = (tenantIds: ReadonlyArray<TenantId>, id: ResourceId) => {
    if (tenantIds.length === 0) return Effect.succeed(Option.none<Resource>())
    return db.query(`SELECT tenant_id, body FROM resources WHERE id = ? AND tenant_id IN (${placeholders(tenantIds)})`, [id, ...tenantIds]).pipe(
      Effect.map((rows) => {
        // The first tenant in the caller's order that has the id answers.
        const row = tenantIds.map((tenantId) => rows.find((found) => found.tenant_id === tenantId)).find((found) => found !== undefined)
        return row === undefined ? Option.none() : Option.some(decodeResource(JSON.parse(String(row.body))))
      }),
      Effect.mapError(toStoreError)
    )
  }

  // The name pattern is a JavaScript regular expression, so the shared selection filters and pages.
  const list = (query: ResourceQuery) => {
    if (query.tenantIds.length === 0) return Effect.succeed([])
    const where = [`tenant_id IN (${placeholders(query.tenantIds)})`]
    const params: Array<string> = [...query.tenantIds]
    if (query.ids.length > 0) {
      where.push(`id IN (${placeholders(query.ids)})`)
      params.push(...query.ids)
    }
    return db.query(`SELECT body FROM resources WHERE ${where.join(" AND ")}`, params).pipe(
      Effect.map((rows) =>
        selectResources(
          rows.map((row) => decodeResource(JSON.parse(String(row.body)))),
          query
        )
      ),
      Effect.mapError(toStoreError)
    )
  }

  const remove = (tenantId: TenantId, id: ResourceId) =>
    db.query(`DELETE FROM resources WHERE tenant_id = ? AND id = ? RETURNING id`, [tenantId, id]).pipe(
      Effect.map((rows) => rows.length > 0),
      Effect.mapError(toStoreError)
    )

  return { save, get, list, delete: remove }
})

/** The embedded resource store over the process's DuckDB. */
export const layerEmbedded: Layer.Layer<ResourceStore, DuckDbError, DuckDb> = Layer.effect(ResourceStore, make)
