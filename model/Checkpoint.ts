// A correlator partition's checkpoint: the actor's group state and the stream sequence it
// covers, written by the lease holder of that partition under its lease epoch.
import { Schema } from "effect"
import { CorrelatorId } from "./Ids.ts"

/** A checkpoint. `savedAt` is epoch milliseconds; `snapshot` is the actor's encoded state. */
export const Checkpoint = Schema.Struct({
  correlatorId: CorrelatorId,
  partition: Schema.NonNegativeInt,
  /** Lease epoch of the writer; a higher epoch fences every lower one. */
  epoch: Schema.NonNegativeInt,
  /** Last stream sequence whose effect the snapshot includes; replay starts after it. */
  sequence: Schema.NonNegativeInt,
  savedAt: Schema.Int,
  snapshot: Schema.Uint8ArrayFromSelf
})
export type Checkpoint = typeof Checkpoint.Type

/** What a checkpoint covers, without its snapshot. */
export interface CheckpointHead {
  readonly partition: number
  readonly epoch: number
  readonly sequence: number
  readonly savedAt: number
}
