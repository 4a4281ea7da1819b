// Window deadlines of one rule. Windows have one length per rule and open at event time, so
// buckets mostly open in deadline order: a FIFO ring takes them in O(1). A bucket opened by a
// late event (earlier than the newest window) goes to a small heap instead. Closed buckets are
// skipped lazily, by a generation number per slot.
import { IndexedHeap } from "./IndexedHeap.ts"

export class DeadlineQueue {
  private ringSlots = new Int32Array(1024)
  private ringGens = new Uint32Array(1024)
  private head = 0
  private length = 0
  /** The latest window start the ring took: the ring stays sorted by taking nothing earlier. */
  private newestStart = Number.NEGATIVE_INFINITY
  private readonly late: IndexedHeap

  /**
   * `start(slot)` and `seq(slot)` order the buckets (window start, then opening order);
   * `generation(slot)` changes whenever a slot is closed.
   */
  constructor(
    private readonly start: (slot: number) => number,
    private readonly seq: (slot: number) => number,
    private readonly generation: (slot: number) => number
  ) {
    this.late = new IndexedHeap((a, b) => (start(a) !== start(b) ? start(a) < start(b) : seq(a) < seq(b)))
  }

  /** Enqueues a just-opened bucket. */
  add(slot: number): void {
    const start = this.start(slot)
    if (start < this.newestStart) {
      this.late.push(slot)
      return
    }
    this.newestStart = start
    if (this.length === this.ringSlots.length) this.grow()
    const at = (this.head + this.length) % this.ringSlots.length
    this.ringSlots[at] = slot
    this.ringGens[at] = this.generation(slot)
    this.length++
  }

  /** Forgets a bucket closed before its deadline (the ring skips it by generation). */
  remove(slot: number): void {
    this.late.remove(slot)
  }

  /** The bucket whose deadline comes first, or -1. */
  first(): number {
    while (this.length > 0 && !this.isLive(this.head)) {
      this.head = (this.head + 1) % this.ringSlots.length
      this.length--
    }
    const fromRing = this.length > 0 ? this.ringSlots[this.head]! : -1
    const fromLate = this.late.peek()
    if (fromRing < 0) return fromLate
    if (fromLate < 0) return fromRing
    const a = this.start(fromRing)
    const b = this.start(fromLate)
    return a !== b ? (a < b ? fromRing : fromLate) : this.seq(fromRing) < this.seq(fromLate) ? fromRing : fromLate
  }

  get byteSize(): number {
    return this.ringSlots.byteLength + this.ringGens.byteLength + this.late.byteSize
  }

  private isLive(position: number): boolean {
    const at = position % this.ringSlots.length
    return this.ringGens[at] === this.generation(this.ringSlots[at]!)
  }

  private grow(): void {
    const size = Math.ceil(this.ringSlots.length * 1.25)
    const slots = new Int32Array(size)
    const gens = new Uint32Array(size)
    for (let i = 0; i < this.length; i++) {
      const at = (this.head + i) % this.ringSlots.length
      slots[i] = this.ringSlots[at]!
      gens[i] = this.ringGens[at]!
    }
    this.ringSlots = slots
    this.ringGens = gens
    this.head = 0
  }
}
