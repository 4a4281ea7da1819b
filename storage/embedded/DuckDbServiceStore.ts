// The embedded service store on DuckDB: services as JSON bodies beside the columns lists filter on.
import { Effect, Layer, Option, Schema } from "effect"
import type { TenantId } from "../../model/Ids.ts"
import { Service, type ServiceId } from "../../model/Service.ts"
import { pageBounds, pageOf } from "../StoreListing.ts"
import { ServiceStore, ServiceStoreError, serviceMatches, type ServiceQuery } from "../ServiceStore.ts"
import { DuckDb, placeholders, type DuckDbError } from "./DuckDb.ts"

const decodeService = Schema.decodeUnknownSync(Service)
const toStoreError = (error: DuckDbError) => new ServiceStoreError({ message: error.message, cause: error.cause })
const serviceOfRow = (row: Record<string, unknown>): Service => decodeService(JSON.parse(String(row.body)))

const CreateTable = `CREATE TABLE IF NOT EXISTS services (
  tenant_id VARCHAR NOT NULL, id VARCHAR NOT NULL, name VARCHAR NOT NULL, kind VARCHAR NOT NULL, paired BOOLEAN NOT NULL, body VARCHAR NOT NULL,
  PRIMARY KEY (tenant_id, id))`

/** Builds the service store over DuckDB, creating its table if missing. */
export const make = Effect.gen(function* () {
  const db = yield* DuckDb
  yield* db.query(CreateTable).pipe(Effect.mapError(toStoreError))

  const save = (service: Service) =>
    db
      .query(`INSERT OR REPLACE INTO services (tenant_id, id, name, kind, paired, body) VALUES (?, ?, ?, ?, ?, ?)`, [
        service.tenantID,
        service.id,
        service.name,
        service.kind,
        service.paired,
        JSON.stringify(service)
      ])
      .pipe(Effect.asVoid, Effect.mapError(toStoreError))

  const get = (tenantId: TenantId, id: ServiceId) =>
    db.query(`SELECT body FROM services WHERE tenant_id = ? AND id = ?`, [tenantId, id]).pipe(
      Effect.map((rows) => Option.fromNullable(rows[0]).pipe(Option.map(serviceOfRow))),
      Effect.mapError(toStoreError)
    )

  const list = (query: ServiceQuery) => {
    if (query.tenantIds.length === 0) return Effect.succeed([])
    const where = [`tenant_id IN (${placeholders(query.tenantIds)})`]
    const params: Array<string | boolean> = [...query.tenantIds]
    if (query.ids.length > 0) {
      where.push(`id IN (${placeholders(query.ids)})`)
      params.push(...query.ids)
    }
    if (query.kinds.length > 0) {
      where.push(`kind IN (${placeholders(query.kinds)})`)
      params.push(...query.kinds)
    }
    if (query.paired !== undefined) {
      where.push(`paired = ?`)
      params.push(query.paired)
    }
    // Patterns are JavaScript regular expressions, so they filter here and paging follows them.
    const patterns = query.name !== undefined || query.fqdn !== undefined
    const { offset, size } = pageBounds(query.page, query.pageSize)
    const paging = patterns ? "" : ` LIMIT ${size} OFFSET ${offset}`
    // The order is serviceOrder's: name ignoring case, then name, then id.
    return db.query(`SELECT body FROM services WHERE ${where.join(" AND ")} ORDER BY lower(name), name, id${paging}`, params).pipe(
      Effect.map((rows) => {
        const services = rows.map(serviceOfRow)
        return patterns ? pageOf(services.filter(serviceMatches(query)), query.page, query.pageSize) : services
      }),
      Effect.mapError(toStoreError)
    )
  }

  const remove = (tenantId: TenantId, id: ServiceId) =>
    db.query(`DELETE FROM services WHERE tenant_id = ? AND id = ? RETURNING id`, [tenantId, id]).pipe(
      Effect.map((rows) => rows.length > 0),
      Effect.mapError(toStoreError)
    )

  return { save, get, list, delete: remove }
})

/** The embedded service store over the process's DuckDB. */
export const layerEmbedded: Layer.Layer<ServiceStore, ServiceStoreError, DuckDb> = Layer.effect(ServiceStore, make)
