// Fencing at the receiving end. A correlation record carries the lease epoch its partition owner
// wrote it under; it is refused when a newer epoch of the same partition had already written to
// the stream before it (a lower stream sequence): its writer had lost the partition (paused,
// partitioned away) while its successor was writing. The decision rests on stream order, not on
// arrival order, so a redelivered record written before the successor began is still admitted,
// and every consumer of the stream (storage, alerts) decides alike.
import type { CorrelatorId } from "../model/Ids.ts"
import type { Fence } from "./Topics.ts"

/** Epochs remembered per partition; only newer ones can refuse a record, older ones may go. */
const EpochsKept = 16

interface FirstWrite {
  readonly epoch: number
  /** The lowest stream sequence seen written under the epoch. */
  sequence: number
}

export class FenceBook {
  private readonly partitions = new Map<string, Array<FirstWrite>>()
  /** Records refused as stale. */
  refused = 0

  /** Whether a record written under `fence`, at stream `sequence`, may be applied. */
  admit(correlatorId: CorrelatorId, fence: Fence | undefined, sequence: number): boolean {
    // Unfenced records come from a whole (unpartitioned) correlator: nothing to compare.
    if (fence === undefined) return true
    const key = `${correlatorId}/${fence.partition}`
    let writes = this.partitions.get(key)
    if (writes === undefined) {
      writes = []
      this.partitions.set(key, writes)
    }
    const own = writes.find((write) => write.epoch === fence.epoch)
    if (own === undefined) {
      writes.push({ epoch: fence.epoch, sequence })
      writes.sort((a, b) => a.epoch - b.epoch)
      if (writes.length > EpochsKept) writes.shift()
    } else if (sequence < own.sequence) own.sequence = sequence
    for (const write of writes) {
      if (write.epoch > fence.epoch && write.sequence < sequence) {
        this.refused++
        return false
      }
    }
    return true
  }
}
