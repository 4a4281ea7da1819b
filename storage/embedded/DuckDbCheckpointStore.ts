// The embedded checkpoint store on DuckDB: one row per correlator partition with its snapshot
// in a BLOB. The epoch check and the write run under the database's one permit, so no other
// save of this process can slip between them.
import { blobValue } from "@duckdb/node-api"
import { Effect, Layer, Option, Schema } from "effect"
import { Checkpoint, type CheckpointHead } from "../../model/Checkpoint.ts"
import type { CorrelatorId } from "../../model/Ids.ts"
import { CheckpointStore, CheckpointStoreError, decideCheckpointWrite, type StaleEpoch } from "../CheckpointStore.ts"
import { DuckDb, type DuckDbError } from "./DuckDb.ts"

const decodeCheckpoint = Schema.decodeUnknownSync(Checkpoint)
const toStoreError = (error: DuckDbError) => new CheckpointStoreError({ message: error.message, cause: error.cause })

/** Builds the embedded checkpoint store, creating its table if missing. */
export const make = Effect.gen(function* () {
  const db = yield* DuckDb
  yield* db.query(
    `CREATE TABLE IF NOT EXISTS checkpoints (
       correlator_id VARCHAR NOT NULL, partition_id INTEGER NOT NULL, epoch BIGINT NOT NULL, sequence BIGINT NOT NULL,
       saved_at BIGINT NOT NULL, snapshot BLOB NOT NULL, PRIMARY KEY (correlator_id, partition_id))`
  )

  const save = (checkpoint: Checkpoint) =>
    db
      .withConnection("checkpoint write", async (connection): Promise<StaleEpoch | undefined> => {
        const rows = (
          await connection.runAndReadAll(`SELECT epoch, sequence FROM checkpoints WHERE correlator_id = ? AND partition_id = ?`, [
            checkpoint.correlatorId,
            checkpoint.partition
          ])
        ).getRowObjectsJS()
        const stored = rows[0] === undefined ? undefined : { epoch: Number(rows[0].epoch), sequence: Number(rows[0].sequence) }
        const decision = decideCheckpointWrite(stored, checkpoint)
        if (decision !== "write") return decision === "keep" ? undefined : decision
        await connection.run(
          `INSERT OR REPLACE INTO checkpoints (correlator_id, partition_id, epoch, sequence, saved_at, snapshot) VALUES (?, ?, ?, ?, ?, ?)`,
          [checkpoint.correlatorId, checkpoint.partition, checkpoint.epoch, checkpoint.sequence, checkpoint.savedAt, blobValue(checkpoint.snapshot)]
        )
        return undefined
      })
      .pipe(
        Effect.mapError(toStoreError),
        Effect.flatMap((stale) => (stale === undefined ? Effect.void : Effect.fail(stale)))
      )

  const load = (correlatorId: CorrelatorId, partition: number) =>
    db.query(`SELECT * FROM checkpoints WHERE correlator_id = ? AND partition_id = ?`, [correlatorId, partition]).pipe(
      Effect.map((rows) =>
        Option.fromNullable(rows[0]).pipe(
          Option.map((row) =>
            decodeCheckpoint({
              correlatorId,
              partition,
              epoch: Number(row.epoch),
              sequence: Number(row.sequence),
              savedAt: Number(row.saved_at),
              snapshot: row.snapshot
            })
          )
        )
      ),
      Effect.mapError(toStoreError)
    )

  const list = (correlatorId: CorrelatorId) =>
    db.query(`SELECT partition_id, epoch, sequence, saved_at FROM checkpoints WHERE correlator_id = ? ORDER BY partition_id`, [correlatorId]).pipe(
      Effect.map((rows): ReadonlyArray<CheckpointHead> =>
        rows.map((row) => ({ partition: Number(row.partition_id), epoch: Number(row.epoch), sequence: Number(row.sequence), savedAt: Number(row.saved_at) }))
      ),
      Effect.mapError(toStoreError)
    )

  return { save, load, list }
})

/** The embedded checkpoint store over the process's DuckDB. */
export const layerEmbedded: Layer.Layer<CheckpointStore, DuckDbError, DuckDb> = Layer.effect(CheckpointStore, make)
