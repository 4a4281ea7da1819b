// The group actors of one standard rule, kept as columns: one slot per live bucket (group key),
// its window, per-selector counts, base event IDs in the ID pool and a deadline heap. A million
// live keys cost typed-array columns and one map entry each, not an object graph.
import { IdPool } from "./IdPool.ts"
import { IndexedHeap } from "./IndexedHeap.ts"

/** Base event IDs kept per firing; BaseEventCount keeps counting past it. */
export const MaxBaseEventIds = 1_000

export class GroupTable {
  private readonly slotOf = new Map<string, number>()
  private keys: Array<string | undefined> = []
  private capacity = 0
  private used = 0
  private freeSlots: Array<number> = []
  windowStart = new Float64Array(0)
  openSeq = new Float64Array(0)
  startTime = new Float64Array(0)
  endTime = new Float64Array(0)
  idHead = new Int32Array(0)
  idTail = new Int32Array(0)
  idCount = new Uint32Array(0)
  eventCount = new Uint32Array(0)
  fired = new Uint32Array(0)
  counts = new Uint32Array(0)
  /** Values seen per slot, for rules with unique fields: `${selector}\u001f${values}`. */
  readonly unique = new Map<number, Set<string>>()
  readonly ids = new IdPool()
  private readonly deadlines: IndexedHeap

  constructor(readonly selectors: number, readonly windowMillis: number) {
    // Deadlines order by window end, then by opening order: the same input always expires alike.
    this.deadlines = new IndexedHeap((a, b) => {
      const endA = this.windowStart[a]!
      const endB = this.windowStart[b]!
      return endA !== endB ? endA < endB : this.openSeq[a]! < this.openSeq[b]!
    })
    this.grow(64)
  }

  get liveGroups(): number {
    return this.slotOf.size
  }

  /** The slot of a live bucket, or -1. */
  find(groupKey: string): number {
    return this.slotOf.get(groupKey) ?? -1
  }

  keyOf(slot: number): string {
    return this.keys[slot]!
  }

  /** Opens a bucket whose window starts at `time`. */
  open(groupKey: string, time: number, seq: number): number {
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.nextSlot()
    this.slotOf.set(groupKey, slot)
    this.keys[slot] = groupKey
    this.windowStart[slot] = time
    this.openSeq[slot] = seq
    this.idHead[slot] = -1
    this.idTail[slot] = -1
    this.fired[slot] = 0
    this.resetEvents(slot)
    this.deadlines.push(slot)
    return slot
  }

  /** Counts one event into the bucket (its ID once, whatever selectors it matched). */
  addEvent(slot: number, id: string, time: number): void {
    if (this.eventCount[slot] === 0) {
      this.startTime[slot] = time
      this.endTime[slot] = time
    } else {
      if (time < this.startTime[slot]!) this.startTime[slot] = time
      if (time > this.endTime[slot]!) this.endTime[slot] = time
    }
    this.eventCount[slot]!++
    if (this.idCount[slot]! < MaxBaseEventIds) {
      const cell = this.ids.append(this.idTail[slot]!, id)
      if (this.idHead[slot]! < 0) this.idHead[slot] = cell
      this.idTail[slot] = cell
      this.idCount[slot]!++
    }
  }

  baseEventIds(slot: number): Array<string> {
    return this.ids.read(this.idHead[slot]!)
  }

  /** After a full match: the bucket keeps its window but forgets its events. */
  resetEvents(slot: number): void {
    this.ids.release(this.idHead[slot]!, this.idTail[slot]!)
    this.idHead[slot] = -1
    this.idTail[slot] = -1
    this.idCount[slot] = 0
    this.eventCount[slot] = 0
    this.counts.fill(0, slot * this.selectors, (slot + 1) * this.selectors)
    this.unique.delete(slot)
  }

  /** Removes the bucket (window over, or reset by a recovery event). */
  close(slot: number): void {
    this.resetEvents(slot)
    this.deadlines.remove(slot)
    this.slotOf.delete(this.keys[slot]!)
    this.keys[slot] = undefined
    this.freeSlots.push(slot)
  }

  windowEnd(slot: number): number {
    return this.windowStart[slot]! + this.windowMillis
  }

  /** The earliest window end of a live bucket, or +Infinity. */
  nextDeadline(): number {
    const slot = this.deadlines.peek()
    return slot < 0 ? Number.POSITIVE_INFINITY : this.windowEnd(slot)
  }

  /** The live bucket whose window ended at or before `now` first, or -1. */
  firstExpired(now: number): number {
    const slot = this.deadlines.peek()
    return slot >= 0 && this.windowEnd(slot) <= now ? slot : -1
  }

  /** Live slots in deadline order (for snapshots). */
  liveSlots(): Array<number> {
    const slots = [...this.slotOf.values()]
    slots.sort((a, b) => this.windowStart[a]! - this.windowStart[b]! || this.openSeq[a]! - this.openSeq[b]!)
    return slots
  }

  /** Bytes of the typed columns, the ID pool and the heap (not the map of keys). */
  get columnBytes(): number {
    const columns = [this.windowStart, this.openSeq, this.startTime, this.endTime, this.idHead, this.idTail, this.idCount, this.eventCount, this.fired, this.counts]
    return columns.reduce((sum, column) => sum + column.byteLength, 0) + this.ids.byteSize + this.deadlines.byteSize
  }

  private nextSlot(): number {
    if (this.used === this.capacity) this.grow(this.capacity * 2)
    return this.used++
  }

  private grow(capacity: number): void {
    const widen = <T extends Float64Array | Int32Array | Uint32Array>(column: T, make: (length: number) => T, per = 1): T => {
      const wider = make(capacity * per)
      wider.set(column)
      return wider
    }
    this.windowStart = widen(this.windowStart, (n) => new Float64Array(n))
    this.openSeq = widen(this.openSeq, (n) => new Float64Array(n))
    this.startTime = widen(this.startTime, (n) => new Float64Array(n))
    this.endTime = widen(this.endTime, (n) => new Float64Array(n))
    this.idHead = widen(this.idHead, (n) => new Int32Array(n))
    this.idTail = widen(this.idTail, (n) => new Int32Array(n))
    this.idCount = widen(this.idCount, (n) => new Uint32Array(n))
    this.eventCount = widen(this.eventCount, (n) => new Uint32Array(n))
    this.fired = widen(this.fired, (n) => new Uint32Array(n))
    this.counts = widen(this.counts, (n) => new Uint32Array(n), this.selectors)
    this.capacity = capacity
  }
}
