// Fencing at the receiving end: per correlator partition, the highest lease epoch seen so far.
// A record from an older epoch comes from an owner that lost its lease (paused, partitioned away)
// and is refused; its successor replays the same stream deterministically, so nothing is lost.
import type { CorrelatorId } from "../model/Ids.ts"
import type { Fence } from "./Topics.ts"

export class FenceBook {
  private readonly highest = new Map<string, number>()
  /** Records refused as stale. */
  refused = 0

  /** Whether a record written under `fence` may be applied; raises the partition's epoch when newer. */
  admit(correlatorId: CorrelatorId, fence: Fence | undefined): boolean {
    // Unfenced records come from a whole (unpartitioned) correlator: nothing to compare.
    if (fence === undefined) return true
    const key = `${correlatorId}/${fence.partition}`
    const highest = this.highest.get(key) ?? Number.NEGATIVE_INFINITY
    if (fence.epoch < highest) {
      this.refused++
      return false
    }
    if (fence.epoch > highest) this.highest.set(key, fence.epoch)
    return true
  }

  /** Raises a partition's epoch from outside (the current lease), e.g. after a restart. */
  raise(correlatorId: CorrelatorId, partition: number, epoch: number): void {
    const key = `${correlatorId}/${partition}`
    if (epoch > (this.highest.get(key) ?? Number.NEGATIVE_INFINITY)) this.highest.set(key, epoch)
  }
}
