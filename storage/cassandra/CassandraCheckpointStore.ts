// The cluster checkpoint store on Cassandra. A snapshot is written in 1 MiB rows under a fresh
// version id; only then does the partition's head row point at that version, by lightweight
// transaction (compare-and-set on the version the writer read, or insert-if-absent), so a
// reader never sees half a snapshot and a lower epoch can never replace a higher one.
import cassandra from "cassandra-driver"
import { Effect, Layer, Option, Schema } from "effect"
import { randomUUID } from "node:crypto"
import { Checkpoint, type CheckpointHead } from "../../model/Checkpoint.ts"
import type { CorrelatorId } from "../../model/Ids.ts"
import { CheckpointStore, CheckpointStoreError, decideCheckpointWrite, StaleEpoch } from "../CheckpointStore.ts"
import { CassandraClient } from "./CassandraClient.ts"
import { readAllRows } from "./CassandraPaging.ts"
import { Tables } from "./CassandraTables.ts"
import { isTransientCassandraError } from "./CassandraTransient.ts"

/** Bytes per chunk row. */
export const ChunkBytes = 1024 * 1024
const ChunkWriteConcurrency = 4
/** Chunk rows per read page, so one response stays a few MiB whatever the snapshot size. */
const ChunkRowsPerPage = 4
/** Compare-and-set rounds before a save gives up on a head that keeps changing under it. */
const MaxSaveRounds = 16
/** Reads of a snapshot replaced while being read before a load gives up. */
const MaxLoadRounds = 8

const decodeCheckpoint = Schema.decodeUnknownSync(Checkpoint)

interface Head extends CheckpointHead {
  readonly version: string
  readonly chunkCount: number
  readonly size: number
}

const asNumber = (value: unknown): number => (typeof value === "number" ? value : (value as cassandra.types.Long).toNumber())

const headOfRow = (row: cassandra.types.Row): Head => ({
  partition: row.get("partition_id") as number,
  epoch: asNumber(row.get("epoch")),
  sequence: asNumber(row.get("sequence")),
  savedAt: (row.get("saved_at") as Date).getTime(),
  version: String(row.get("version")),
  chunkCount: row.get("chunk_count") as number,
  size: asNumber(row.get("size"))
})

/** Builds the Cassandra checkpoint store over the process's session (the schema comes from the migrations). */
export const make = Effect.gen(function* () {
  const { client } = yield* CassandraClient
  const run = <A>(message: string, work: () => Promise<A>) =>
    Effect.tryPromise({ try: work, catch: (cause) => new CheckpointStoreError({ message, cause, transient: isTransientCassandraError(cause) }) })

  const selectHead = `SELECT partition_id, epoch, sequence, saved_at, version, chunk_count, size FROM ${Tables.checkpoints} WHERE correlator_id = ? AND partition_id = ?`

  const readHead = async (correlatorId: string, partition: number, serial: boolean): Promise<Head | undefined> => {
    // A serial read completes any transaction left in flight, so the writer decides on the latest head.
    const options = serial ? { prepare: true, consistency: cassandra.types.consistencies.serial } : { prepare: true }
    const row = (await client.execute(selectHead, [correlatorId, partition], options)).first()
    return row === null ? undefined : headOfRow(row)
  }

  const dropVersion = (correlatorId: string, partition: number, version: string) =>
    client.execute(`DELETE FROM ${Tables.checkpointChunks} WHERE correlator_id = ? AND partition_id = ? AND version = ?`, [correlatorId, partition, version], {
      prepare: true
    })

  const writeChunks = async (checkpoint: Checkpoint, version: string): Promise<number> => {
    const snapshot = checkpoint.snapshot
    const chunkCount = Math.ceil(snapshot.byteLength / ChunkBytes)
    for (let first = 0; first < chunkCount; first += ChunkWriteConcurrency) {
      const writes: Array<Promise<unknown>> = []
      for (let chunk = first; chunk < Math.min(chunkCount, first + ChunkWriteConcurrency); chunk++) {
        const start = chunk * ChunkBytes
        const end = Math.min(snapshot.byteLength, start + ChunkBytes)
        writes.push(
          client.execute(
            `INSERT INTO ${Tables.checkpointChunks} (correlator_id, partition_id, version, chunk, bytes) VALUES (?, ?, ?, ?, ?)`,
            [checkpoint.correlatorId, checkpoint.partition, version, chunk, Buffer.from(snapshot.buffer, snapshot.byteOffset + start, end - start)],
            { prepare: true }
          )
        )
      }
      await Promise.all(writes)
    }
    return chunkCount
  }

  /** One compare-and-set of the head: true or false, or undefined when the outcome is unknown (a timeout). */
  const swapHead = async (checkpoint: Checkpoint, expected: Head | undefined, version: string, chunkCount: number): Promise<boolean | undefined> => {
    const values = [checkpoint.epoch, checkpoint.sequence, new Date(checkpoint.savedAt), version, chunkCount, checkpoint.snapshot.byteLength]
    try {
      const result =
        expected === undefined
          ? await client.execute(
              `INSERT INTO ${Tables.checkpoints} (correlator_id, partition_id, epoch, sequence, saved_at, version, chunk_count, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
              [checkpoint.correlatorId, checkpoint.partition, ...values],
              { prepare: true }
            )
          : await client.execute(
              `UPDATE ${Tables.checkpoints} SET epoch = ?, sequence = ?, saved_at = ?, version = ?, chunk_count = ?, size = ? WHERE correlator_id = ? AND partition_id = ? IF version = ?`,
              [...values, checkpoint.correlatorId, checkpoint.partition, expected.version],
              { prepare: true }
            )
      return result.wasApplied()
    } catch (cause) {
      // A timed-out transaction may still have been applied; the next serial read tells.
      if (isTransientCassandraError(cause)) return undefined
      throw cause
    }
  }

  const save = (checkpoint: Checkpoint) =>
    run("checkpoint write failed", async (): Promise<StaleEpoch | undefined> => {
      const { correlatorId, partition } = checkpoint
      let head = await readHead(correlatorId, partition, true)
      let decision = decideCheckpointWrite(head, checkpoint)
      // Refused before any byte is written when the head already says no.
      if (decision !== "write") return decision === "keep" ? undefined : decision
      const version = randomUUID()
      let pointed = false
      try {
        const chunkCount = await writeChunks(checkpoint, version)
        await client.execute(`INSERT INTO ${Tables.checkpointPartitions} (correlator_id, partition_id) VALUES (?, ?)`, [correlatorId, partition], { prepare: true })
        for (let round = 0; round < MaxSaveRounds; round++) {
          const applied = await swapHead(checkpoint, head, version, chunkCount)
          const replaced = head
          if (applied !== true) head = await readHead(correlatorId, partition, true)
          if (applied === true || head?.version === version) {
            pointed = true
            // Nothing points at the replaced version any more; a load caught reading it starts over.
            if (replaced !== undefined) await dropVersion(correlatorId, partition, replaced.version).catch(() => undefined)
            return undefined
          }
          decision = decideCheckpointWrite(head, checkpoint)
          if (decision !== "write") return decision === "keep" ? undefined : decision
        }
        throw new Error(`checkpoint head of ${correlatorId}/${partition} kept changing for ${MaxSaveRounds} rounds`)
      } finally {
        if (!pointed) await dropVersion(correlatorId, partition, version).catch(() => undefined)
      }
    }).pipe(Effect.flatMap((stale) => (stale === undefined ? Effect.void : Effect.fail(stale))))

  const load = (correlatorId: CorrelatorId, partition: number) =>
    run("checkpoint read failed", async (): Promise<Option.Option<Checkpoint>> => {
      for (let round = 0; round < MaxLoadRounds; round++) {
        const head = await readHead(correlatorId, partition, false)
        if (head === undefined) return Option.none()
        const rows =
          head.chunkCount === 0
            ? []
            : await readAllRows(
                client,
                `SELECT chunk, bytes FROM ${Tables.checkpointChunks} WHERE correlator_id = ? AND partition_id = ? AND version = ?`,
                [correlatorId, partition, head.version],
                ChunkRowsPerPage
              )
        const snapshot = new Uint8Array(head.size)
        let filled = 0
        for (const row of rows) {
          const offset = (row.get("chunk") as number) * ChunkBytes
          const part = row.get("bytes") as Buffer
          if (offset + part.byteLength > head.size) break
          snapshot.set(part, offset)
          filled += part.byteLength
        }
        // Fewer bytes than the head promises: a newer save replaced this version while we read.
        if (rows.length !== head.chunkCount || filled !== head.size) continue
        return Option.some(
          decodeCheckpoint({ correlatorId, partition, epoch: head.epoch, sequence: head.sequence, savedAt: head.savedAt, snapshot })
        )
      }
      throw new Error(`checkpoint of ${correlatorId}/${partition} kept changing for ${MaxLoadRounds} reads`)
    })

  const list = (correlatorId: CorrelatorId) =>
    run("checkpoint list failed", async (): Promise<ReadonlyArray<CheckpointHead>> => {
      const partitions = await readAllRows(client, `SELECT partition_id FROM ${Tables.checkpointPartitions} WHERE correlator_id = ?`, [correlatorId])
      const heads = await Promise.all(partitions.map((row) => readHead(correlatorId, row.get("partition_id") as number, false)))
      return heads
        .filter((head): head is Head => head !== undefined)
        .map(({ partition, epoch, sequence, savedAt }) => ({ partition, epoch, sequence, savedAt }))
        .sort((a, b) => a.partition - b.partition)
    })

  return { save, load, list }
})

/** The Cassandra checkpoint store over the process's session. */
export const layer: Layer.Layer<CheckpointStore, never, CassandraClient> = Layer.effect(CheckpointStore, make)
