// One embedded DuckDB database per process, shared by the embedded stores. DuckDB runs one
// statement at a time per connection, so every use goes through a single-permit semaphore;
// long scans stream on a second connection, so a search never holds up the writers.
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from "@duckdb/node-api"
import { Context, Data, Effect, Layer } from "effect"

export interface DuckDbShape {
  /** Runs a statement, reading all rows as plain JS objects. */
  readonly query: (sql: string, params?: ReadonlyArray<DuckDBValue>) => Effect.Effect<Array<Record<string, unknown>>, DuckDbError>
  /** Runs bulk work (appenders) with the connection to itself; `what` names it in errors. */
  readonly withConnection: <A>(what: string, work: (connection: DuckDBConnection) => Promise<A>) => Effect.Effect<A, DuckDbError>
  /**
   * Streams the first column of a query's rows, a chunk at a time, on the read connection;
   * `onChunk` returns false to stop reading.
   */
  readonly stream: (sql: string, params: ReadonlyArray<DuckDBValue>, onChunk: (values: ReadonlyArray<DuckDBValue>) => boolean) => Effect.Effect<void, DuckDbError>
}

/** Embedded database failure; carries the engine's cause. */
export class DuckDbError extends Data.TaggedError("DuckDbError")<{ readonly message: string; readonly cause?: unknown }> {}

/** `?, ?, ?` for binding each of `values`. */
export const placeholders = (values: ReadonlyArray<unknown>): string => values.map(() => "?").join(", ")

export class DuckDb extends Context.Tag("corvus/DuckDb")<DuckDb, DuckDbShape>() {}

const Schema = [
  `CREATE TABLE IF NOT EXISTS events (
     id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, ts BIGINT NOT NULL, type INTEGER NOT NULL, body VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS alerts (
     id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, status VARCHAR NOT NULL,
     first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, body VARCHAR NOT NULL)`,
  // Alerts are written conditionally on their revision (see AlertStore.update).
  `ALTER TABLE alerts ADD COLUMN IF NOT EXISTS revision INTEGER DEFAULT 1`,
  `CREATE TABLE IF NOT EXISTS alert_groups (group_ref VARCHAR PRIMARY KEY, alert_id VARCHAR NOT NULL)`,
  // Bulk writes append here first (fast, no constraint checks), then merge into events.
  `CREATE TEMP TABLE IF NOT EXISTS events_staging (id VARCHAR, tenant_id VARCHAR, ts BIGINT, type INTEGER, body VARCHAR)`
]

/** Opens (or creates) the database at `path` (":memory:" for a throwaway one) for the scope. */
export const layer = (path: string): Layer.Layer<DuckDb, DuckDbError> =>
  Layer.scoped(
    DuckDb,
    Effect.gen(function* () {
      const instance = yield* Effect.tryPromise({
        try: () => DuckDBInstance.create(path),
        catch: (cause) => new DuckDbError({ message: `cannot open embedded database ${path}`, cause })
      })
      const connect = Effect.acquireRelease(
        Effect.tryPromise({
          try: () => instance.connect(),
          catch: (cause) => new DuckDbError({ message: `cannot connect to embedded database ${path}`, cause })
        }),
        (connection) => Effect.sync(() => connection.closeSync())
      )
      const connection = yield* connect
      const reader = yield* connect
      const permit = yield* Effect.makeSemaphore(1)
      const readPermit = yield* Effect.makeSemaphore(1)
      const query = (sql: string, params: ReadonlyArray<DuckDBValue> = []) =>
        permit.withPermits(1)(
          Effect.tryPromise({
            try: async () => (await connection.runAndReadAll(sql, [...params])).getRowObjectsJS() as Array<Record<string, unknown>>,
            catch: (cause) => new DuckDbError({ message: "embedded database statement failed", cause })
          })
        )
      const withConnection = <A>(what: string, work: (connection: DuckDBConnection) => Promise<A>) =>
        permit.withPermits(1)(
          Effect.tryPromise({ try: () => work(connection), catch: (cause) => new DuckDbError({ message: `embedded database: ${what} failed`, cause }) })
        )
      const stream = (sql: string, params: ReadonlyArray<DuckDBValue>, onChunk: (values: ReadonlyArray<DuckDBValue>) => boolean) =>
        readPermit.withPermits(1)(
          Effect.tryPromise({
            try: async () => {
              const result = await reader.stream(sql, [...params])
              for (;;) {
                const chunk = await result.fetchChunk()
                if (chunk === null || chunk.rowCount === 0) return
                if (!onChunk(chunk.getColumnValues(0))) return
              }
            },
            catch: (cause) => new DuckDbError({ message: "embedded database scan failed", cause })
          })
        )
      for (const statement of Schema) yield* query(statement)
      return { query, withConnection, stream }
    })
  )
