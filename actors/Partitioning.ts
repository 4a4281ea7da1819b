// Which partition of a correlator owns a (rule, group key): the router sends an event to the
// partitions of the rules it matches, and each partition's engine applies only the rules whose
// group it owns, so the union of the partitions does what one whole engine does.
import type { CorrelatorSpec } from "../model/Rule.ts"

/** A correlator's partition a process runs: `index` of `count`. */
export interface PartitionSlice {
  readonly index: number
  readonly count: number
}

/** A stable 32-bit hash of a rule ID, mixed into its groups' partition. */
export const ruleSalt = (ruleId: string): number => {
  let hash = 0x811c9dc5
  for (let i = 0; i < ruleId.length; i++) {
    hash ^= ruleId.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash | 0
}

/** The partition of a group key hash under a rule: murmur3's finalizer spreads FNV's low bits. */
export const partitionOf = (salt: number, keyHash: number, count: number): number => {
  let mixed = (keyHash ^ salt) | 0
  mixed ^= mixed >>> 16
  mixed = Math.imul(mixed, 0x85ebca6b)
  mixed ^= mixed >>> 13
  mixed = Math.imul(mixed, 0xc2b2ae35)
  mixed ^= mixed >>> 16
  return (mixed >>> 0) % count
}

/**
 * Why a correlator cannot be split into partitions, or undefined when it can. State shared by
 * all of a correlator's groups has no single owner: active lists (read by selectors, written by
 * actions), correlation events looped back into the correlator, and per-rule rate limits. Such a
 * correlator runs as one partition.
 */
export const unpartitionableReason = (spec: CorrelatorSpec): string | undefined => {
  if (spec.activeLists.length > 0) return "it has active lists"
  for (const rule of spec.rules) {
    if (rule.kind === "operational") return `rule ${rule.id} is operational (it changes active lists)`
    if (rule.rateLimit > 0) return `rule ${rule.id} has a rate limit`
    for (const action of rule.actions) {
      if (action.loop) return `rule ${rule.id} loops its correlation events back`
      if (action.activeLists.length > 0) return `rule ${rule.id} changes active lists`
    }
  }
  return undefined
}
