// The cluster resource file store on Cassandra: one partition per file, its bytes in rows of
// at most 1 MiB (no huge cells or mutations), the metadata in static columns. The chunk count
// is written last, so a reader finds either the whole file or none of it.
import type cassandra from "cassandra-driver"
import { Effect, Layer, Option, Schema } from "effect"
import { ResourceFile, type ResourceFileId } from "../../model/Resource.ts"
import { ResourceFileStore, ResourceFileStoreError } from "../ResourceFileStore.ts"
import { CassandraClient } from "./CassandraClient.ts"
import { readAllRows } from "./CassandraPaging.ts"
import { Tables } from "./CassandraTables.ts"
import { isTransientCassandraError } from "./CassandraTransient.ts"

/** Bytes per chunk row. */
export const ChunkBytes = 1024 * 1024
/** Chunk writes in flight at once for one file. */
const ChunkWriteConcurrency = 4
/** Chunk rows per read page, so one response stays a few MiB whatever the file size. */
const ChunkRowsPerPage = 4

const decodeFile = Schema.decodeUnknownSync(ResourceFile)

const asNumber = (value: unknown): number => (typeof value === "number" ? value : (value as cassandra.types.Long).toNumber())

/** Builds the Cassandra resource file store over the process's session (the schema comes from the migrations). */
export const make = Effect.gen(function* () {
  const { client } = yield* CassandraClient
  const run = <A>(message: string, work: () => Promise<A>) =>
    Effect.tryPromise({ try: work, catch: (cause) => new ResourceFileStoreError({ message, cause, transient: isTransientCassandraError(cause) }) })

  const put = (file: ResourceFile) =>
    run("resource file write failed", async () => {
      const chunkCount = Math.ceil(file.bytes.byteLength / ChunkBytes)
      // Metadata first with no chunk count: hidden from readers, yet found by deleteExpired if
      // the writer dies before the end.
      await client.execute(
        `INSERT INTO ${Tables.resourceFiles} (id, user_id, tenant_id, created_at, expires_at, chunk_count, size) VALUES (?, ?, ?, ?, ?, null, null)`,
        [file.id, file.userID, file.tenantID, new Date(file.createdAt), new Date(file.expiresAt)],
        { prepare: true }
      )
      for (let first = 0; first < chunkCount; first += ChunkWriteConcurrency) {
        const writes: Array<Promise<unknown>> = []
        for (let chunk = first; chunk < Math.min(chunkCount, first + ChunkWriteConcurrency); chunk++) {
          const start = chunk * ChunkBytes
          const end = Math.min(file.bytes.byteLength, start + ChunkBytes)
          const bytes = Buffer.from(file.bytes.buffer, file.bytes.byteOffset + start, end - start)
          writes.push(client.execute(`INSERT INTO ${Tables.resourceFiles} (id, chunk, bytes) VALUES (?, ?, ?)`, [file.id, chunk, bytes], { prepare: true }))
        }
        await Promise.all(writes)
      }
      await client.execute(`UPDATE ${Tables.resourceFiles} SET chunk_count = ?, size = ? WHERE id = ?`, [chunkCount, file.bytes.byteLength, file.id], {
        prepare: true
      })
      // Chunks past the end are left over from an earlier, longer write of this id.
      await client.execute(`DELETE FROM ${Tables.resourceFiles} WHERE id = ? AND chunk >= ?`, [file.id, chunkCount], { prepare: true })
    })

  const get = (id: ResourceFileId) =>
    run("resource file read failed", async (): Promise<Option.Option<ResourceFile>> => {
      const rows = await readAllRows(
        client,
        `SELECT user_id, tenant_id, created_at, expires_at, chunk_count, size, chunk, bytes FROM ${Tables.resourceFiles} WHERE id = ?`,
        [id],
        ChunkRowsPerPage
      )
      const head = rows[0]
      const chunkCount = head?.get("chunk_count")
      if (head === undefined || chunkCount === null || chunkCount === undefined) return Option.none()
      const size = asNumber(head.get("size"))
      const bytes = new Uint8Array(size)
      let filled = 0
      for (const row of rows) {
        const chunk = row.get("chunk") as number | null
        if (chunk === null || chunk >= chunkCount) continue
        const part = row.get("bytes") as Buffer
        if (chunk * ChunkBytes + part.byteLength > size) return Option.none()
        bytes.set(part, chunk * ChunkBytes)
        filled += part.byteLength
      }
      // Fewer bytes than recorded: the file is being written again under the same id.
      if (filled !== size) return Option.none()
      return Option.some(
        decodeFile({
          id,
          userID: String(head.get("user_id")),
          tenantID: String(head.get("tenant_id")),
          createdAt: (head.get("created_at") as Date).getTime(),
          expiresAt: (head.get("expires_at") as Date).getTime(),
          bytes
        })
      )
    })

  const remove = (id: ResourceFileId) =>
    run("resource file delete failed", () => client.execute(`DELETE FROM ${Tables.resourceFiles} WHERE id = ?`, [id], { prepare: true })).pipe(Effect.asVoid)

  // Exports are few and short-lived, so a sweep reads every file's expiry (static columns only).
  const deleteExpired = (now: number) =>
    run("resource file sweep failed", async () => {
      const files = await readAllRows(client, `SELECT DISTINCT id, expires_at FROM ${Tables.resourceFiles}`, [])
      const expired = files.filter((row) => {
        const expiresAt = row.get("expires_at") as Date | null
        return expiresAt !== null && expiresAt.getTime() <= now
      })
      await Promise.all(expired.map((row) => client.execute(`DELETE FROM ${Tables.resourceFiles} WHERE id = ?`, [row.get("id")], { prepare: true })))
      return expired.length
    })

  return { put, get, delete: remove, deleteExpired }
})

/** The Cassandra resource file store over the process's session. */
export const layer: Layer.Layer<ResourceFileStore, never, CassandraClient> = Layer.effect(ResourceFileStore, make)
