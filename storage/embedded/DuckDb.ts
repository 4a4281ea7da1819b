// One embedded DuckDB database per process, shared by the embedded stores. DuckDB runs one
// statement at a time per connection, so every use goes through a single-permit semaphore.
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from "@duckdb/node-api"
import { Context, Data, Effect, Layer } from "effect"

export interface DuckDbShape {
  /** Runs a statement, reading all rows as plain JS objects. */
  readonly query: (sql: string, params?: ReadonlyArray<DuckDBValue>) => Effect.Effect<Array<Record<string, unknown>>, DuckDbError>
  /** Runs bulk work (appenders) with the connection to itself; `what` names it in errors. */
  readonly withConnection: <A>(what: string, work: (connection: DuckDBConnection) => Promise<A>) => Effect.Effect<A, DuckDbError>
}

/** Embedded database failure; carries the engine's cause. */
export class DuckDbError extends Data.TaggedError("DuckDbError")<{ readonly message: string; readonly cause?: unknown }> {}

export class DuckDb extends Context.Tag("corvus/DuckDb")<DuckDb, DuckDbShape>() {}

const Schema = [
  `CREATE TABLE IF NOT EXISTS events (
     id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, ts BIGINT NOT NULL, type INTEGER NOT NULL, body VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS alerts (
     id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, status VARCHAR NOT NULL,
     first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, body VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS alert_groups (group_ref VARCHAR PRIMARY KEY, alert_id VARCHAR NOT NULL)`,
  // Bulk writes append here first (fast, no constraint checks), then merge into events.
  `CREATE TEMP TABLE IF NOT EXISTS events_staging (id VARCHAR, tenant_id VARCHAR, ts BIGINT, type INTEGER, body VARCHAR)`
]

/** Opens (or creates) the database at `path` (":memory:" for a throwaway one) for the scope. */
export const layer = (path: string): Layer.Layer<DuckDb, DuckDbError> =>
  Layer.scoped(
    DuckDb,
    Effect.gen(function* () {
      const connection = yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: async (): Promise<DuckDBConnection> => {
            const instance = await DuckDBInstance.create(path)
            return instance.connect()
          },
          catch: (cause) => new DuckDbError({ message: `cannot open embedded database ${path}`, cause })
        }),
        (connection) => Effect.sync(() => connection.closeSync())
      )
      const permit = yield* Effect.makeSemaphore(1)
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
      for (const statement of Schema) yield* query(statement)
      return { query, withConnection }
    })
  )
