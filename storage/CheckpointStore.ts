// The checkpoint store port: one checkpoint per correlator partition, fenced by the writer's
// lease epoch so a paused former owner can never overwrite what its successor saved.
import { Context, Data, type Effect, type Option } from "effect"
import type { Checkpoint, CheckpointHead } from "../model/Checkpoint.ts"
import type { CorrelatorId } from "../model/Ids.ts"

/** Storage infrastructure failure; `transient` says whether a retry may succeed. */
export class CheckpointStoreError extends Data.TaggedError("CheckpointStoreError")<{
  readonly message: string
  readonly cause?: unknown
  readonly transient?: boolean
}> {}

/** A checkpoint of a higher epoch is stored: the writer lost the partition and must stop. */
export class StaleEpoch extends Data.TaggedError("StaleEpoch")<{ readonly stored: number; readonly offered: number }> {}

export interface CheckpointStoreShape {
  /**
   * Stores the checkpoint unless a higher epoch holds the partition (StaleEpoch); within one
   * epoch an equal or higher sequence replaces, a lower one is ignored (the stored one covers more).
   * A reader sees the old checkpoint or the new one whole, never a mix.
   */
  readonly save: (checkpoint: Checkpoint) => Effect.Effect<void, StaleEpoch | CheckpointStoreError>
  readonly load: (correlatorId: CorrelatorId, partition: number) => Effect.Effect<Option.Option<Checkpoint>, CheckpointStoreError>
  /** What is stored for each partition of the correlator, by partition. */
  readonly list: (correlatorId: CorrelatorId) => Effect.Effect<ReadonlyArray<CheckpointHead>, CheckpointStoreError>
}

export class CheckpointStore extends Context.Tag("corvus/CheckpointStore")<CheckpointStore, CheckpointStoreShape>() {}

/** What `save` does given the stored epoch and sequence; every backend decides through this. */
export const decideCheckpointWrite = (
  stored: { readonly epoch: number; readonly sequence: number } | undefined,
  offered: Checkpoint
): "write" | "keep" | StaleEpoch => {
  if (stored === undefined || stored.epoch < offered.epoch) return "write"
  if (stored.epoch > offered.epoch) return new StaleEpoch({ stored: stored.epoch, offered: offered.epoch })
  return offered.sequence >= stored.sequence ? "write" : "keep"
}
