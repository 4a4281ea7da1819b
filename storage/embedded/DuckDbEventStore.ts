// The embedded event store on DuckDB: events as JSON bodies keyed by ID (insert-or-ignore makes
// rewrites no-ops). A scan streams one ordered query per search on the read connection, with the
// tenants and period as bound values and whatever of the filter DuckDB can evaluate pushed into
// it; the compiled filter decides on every row that comes back.
import { Effect, Layer } from "effect"
import type { NormalizedEvent } from "../../model/Event.ts"
import { compileFilter } from "../../model/FilterCompiler.ts"
import type { TenantId } from "../../model/Ids.ts"
import { EventStore, EventStoreError, searchByScan, type EventScan, type EventVisitor, type ExpiredEvents } from "../EventStore.ts"
import { DuckDb, type DuckDbError } from "./DuckDb.ts"
import { pushFilter } from "./DuckDbFilterSql.ts"

const DayMillis = 86_400_000

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

  const scan = (query: EventScan, visit: EventVisitor) =>
    Effect.gen(function* () {
      if (query.tenantIds.length === 0 || query.to < query.from) return
      const matches = yield* Effect.try({
        try: () => compileFilter(query.filter),
        catch: (cause) => new EventStoreError({ message: String((cause as Error).message), cause })
      })
      const pushed = pushFilter(query.filter)
      const tenants = query.tenantIds.map(() => "?").join(", ")
      const direction = query.order === "asc" ? "ASC" : "DESC"
      const sql =
        `SELECT body FROM events WHERE tenant_id IN (${tenants}) AND ts BETWEEN ? AND ?` +
        (pushed !== undefined ? ` AND (${pushed.sql})` : "") +
        ` ORDER BY ts ${direction}, id`
      const batch: Array<NormalizedEvent> = []
      yield* db
        .stream(sql, [...query.tenantIds, query.from, query.to, ...(pushed?.params ?? [])], (bodies) => {
          batch.length = 0
          // Bodies were written by `write` from decoded events: parsed, not decoded again.
          for (const body of bodies) {
            const event = JSON.parse(body as string) as NormalizedEvent
            if (matches(event)) batch.push(event)
          }
          return batch.length === 0 || visit(batch)
        })
        .pipe(Effect.mapError(toStoreError))
    })

  const expire = (tenantId: TenantId, before: number) =>
    db
      .withConnection("event expiry", async (connection): Promise<ExpiredEvents> => {
        // Whole days, as the cluster store drops them, so both keep the same events.
        const cutoff = Math.floor(before / DayMillis) * DayMillis
        const span = (
          await connection.runAndReadAll(`SELECT min(ts) AS first, max(ts) AS last, count(DISTINCT ts // ${DayMillis}) AS days FROM events WHERE tenant_id = ? AND ts < ?`, [
            tenantId,
            cutoff
          ])
        ).getRowObjectsJS()[0] as { first: bigint | null; last: bigint | null; days: bigint }
        if (span.first === null || span.last === null) return { tenantId, partitions: 0, from: 0, to: 0 }
        await connection.run(`DELETE FROM events WHERE tenant_id = ? AND ts < ?`, [tenantId, cutoff])
        return { tenantId, partitions: Number(span.days), from: Number(span.first), to: Number(span.last) }
      })
      .pipe(Effect.mapError(toStoreError))

  return { write, scan, search: searchByScan(scan), expire }
})

/** The embedded event store over the process's DuckDB. */
export const layerEmbedded: Layer.Layer<EventStore, never, DuckDb> = Layer.effect(EventStore, make)
