// The embedded event store on DuckDB: events as JSON bodies keyed by ID (insert-or-ignore makes
// rewrites no-ops), searched by tenant and period with the compiled filter applied in process.
import { Effect, Layer } from "effect"
import { decodeEventSync, type NormalizedEvent } from "../../model/Event.ts"
import { compileFilter } from "../../model/FilterCompiler.ts"
import { EventStore, EventStoreError, type EventQuery } from "../EventStore.ts"
import { DuckDb, type DuckDbError } from "./DuckDb.ts"

const ScanChunk = 5_000

const toStoreError = (error: DuckDbError) => new EventStoreError({ message: error.message, cause: error.cause })

export const make = Effect.gen(function* () {
  const db = yield* DuckDb

  // Append to staging, then merge: one row per ID, so a rewrite (or a repeat in the batch) is a no-op.
  const write = (events: ReadonlyArray<NormalizedEvent>) =>
    db
      .withConnection("event write", async (connection) => {
        if (events.length === 0) return
        const appender = await connection.createAppender("events_staging")
        try {
          for (const event of events) {
            appender.appendVarchar(event.ID)
            appender.appendVarchar(event.TenantID)
            appender.appendBigInt(BigInt(event.Timestamp))
            appender.appendInteger(event.Type)
            appender.appendVarchar(JSON.stringify(event))
            appender.endRow()
          }
          appender.flushSync()
        } finally {
          appender.closeSync()
        }
        try {
          await connection.run(
            `INSERT OR IGNORE INTO events (id, tenant_id, ts, type, body)
             SELECT id, tenant_id, ts, type, body FROM events_staging QUALIFY row_number() OVER (PARTITION BY id) = 1`
          )
        } finally {
          await connection.run(`DELETE FROM events_staging`)
        }
      })
      .pipe(Effect.mapError(toStoreError))

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
