// The embedded resource file store on DuckDB: one row per file with its bytes in a BLOB; a
// single-statement write, so a reader sees all of a file or none of it.
import { blobValue } from "@duckdb/node-api"
import { Effect, Layer, Option, Schema } from "effect"
import { ResourceFile, type ResourceFileId } from "../../model/Resource.ts"
import { ResourceFileStore, ResourceFileStoreError } from "../ResourceFileStore.ts"
import { DuckDb, type DuckDbError } from "./DuckDb.ts"

const decodeFile = Schema.decodeUnknownSync(ResourceFile)
const toStoreError = (error: DuckDbError) => new ResourceFileStoreError({ message: error.message, cause: error.cause })

/** Builds the embedded resource file store, creating its table if missing. */
export const make = Effect.gen(function* () {
  const db = yield* DuckDb
  yield* db.query(
    `CREATE TABLE IF NOT EXISTS resource_files (
       id VARCHAR PRIMARY KEY, user_id VARCHAR NOT NULL, tenant_id VARCHAR NOT NULL,
       created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, bytes BLOB NOT NULL)`
  )

  const put = (file: ResourceFile) =>
    db
      .query(`INSERT OR REPLACE INTO resource_files (id, user_id, tenant_id, created_at, expires_at, bytes) VALUES (?, ?, ?, ?, ?, ?)`, [
        file.id,
        file.userID,
        file.tenantID,
        file.createdAt,
        file.expiresAt,
        blobValue(file.bytes)
      ])
      .pipe(Effect.asVoid, Effect.mapError(toStoreError))

  const get = (id: ResourceFileId) =>
    db.query(`SELECT * FROM resource_files WHERE id = ?`, [id]).pipe(
      Effect.map((rows) =>
        Option.fromNullable(rows[0]).pipe(
          Option.map((row) =>
            decodeFile({
              id: row.id,
              userID: row.user_id,
              tenantID: row.tenant_id,
              createdAt: Number(row.created_at),
              expiresAt: Number(row.expires_at),
              bytes: row.bytes
            })
          )
        )
      ),
      Effect.mapError(toStoreError)
    )

  const remove = (id: ResourceFileId) => db.query(`DELETE FROM resource_files WHERE id = ?`, [id]).pipe(Effect.asVoid, Effect.mapError(toStoreError))

  const deleteExpired = (now: number) =>
    db.query(`DELETE FROM resource_files WHERE expires_at <= ? RETURNING id`, [now]).pipe(
      Effect.map((rows) => rows.length),
      Effect.mapError(toStoreError)
    )

  return { put, get, delete: remove, deleteExpired }
})

/** The embedded resource file store over the process's DuckDB. */
export const layerEmbedded: Layer.Layer<ResourceFileStore, DuckDbError, DuckDb> = Layer.effect(ResourceFileStore, make)
