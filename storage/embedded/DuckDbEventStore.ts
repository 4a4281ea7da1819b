// The embedded event store on DuckDB: events as JSON bodies keyed by ID (insert-or-ignore makes
// rewrites no-ops), searched by tenant and period with the compiled filter applied in process.
import { Effect, Layer } from "effect"
import { decodeEventSync, type NormalizedEvent } from "../../model/Event.ts"
import { compileFilter } from "../../model/FilterCompiler.ts"
import { EventStore, EventStoreError, type EventQuery } from "../EventStore.ts"
import { DuckDb, type DuckDbError } from "./DuckDb.ts"

const RowsPerInsert = 500
const ScanChunk = 5_000

const toStoreError = (error: DuckDbError) => new EventStoreError({ message: error.message, cause: error.cause })

export const make = Effect.gen(function* () {
  const db = yield* DuckDb

  const write = (events: ReadonlyArray<NormalizedEvent>) =>
    Effect.gen(function* () {
      for (let start = 0; start < events.length; start += RowsPerInsert) {
        const chunk = events.slice(start, start + RowsPerInsert)
        const params: Array<string | number> = []
        for (const event of chunk) params.push(event.ID, event.TenantID, event.Timestamp, event.Type, JSON.stringify(event))
        const rows = chunk.map(() => "(?, ?, ?, ?, ?)").join(", ")
        yield* db.query(`INSERT OR IGNORE INTO events (id, tenant_id, ts, type, body) VALUES ${rows}`, params)
      }
    }).pipe(Effect.mapError(toStoreError))

  const search = (query: EventQuery) =>
    Effect.gen(function* () {
      if (query.tenantIds.length === 0 || query.limit <= 0) return []
      const matches = yield* Effect.try({
        try: () => compileFilter(query.filter),
        catch: (cause) => new EventStoreError({ message: String((cause as Error).message), cause })
      })
      const tenants = query.tenantIds.map(() => "?").join(", ")
      const direction = query.order === "asc" ? "ASC" : "DESC"
      const found: Array<NormalizedEvent> = []
      for (let offset = 0; found.length < query.limit; offset += ScanChunk) {
        const rows = yield* db
          .query(
            `SELECT body FROM events WHERE tenant_id IN (${tenants}) AND ts BETWEEN ? AND ? ORDER BY ts ${direction}, id LIMIT ${ScanChunk} OFFSET ${offset}`,
            [...query.tenantIds, query.from, query.to]
          )
          .pipe(Effect.mapError(toStoreError))
        for (const row of rows) {
          const event = decodeEventSync(JSON.parse(String(row.body)))
          if (matches(event)) found.push(event)
          if (found.length >= query.limit) break
        }
        if (rows.length < ScanChunk) break
      }
      return found
    })

  return { write, search }
})

/** The embedded event store over the process's DuckDB. */
export const layerEmbedded: Layer.Layer<EventStore, never, DuckDb> = Layer.effect(EventStore, make)
