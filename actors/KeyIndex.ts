// Finds a bucket's slot by its group-key values: an open-addressing hash table of slot numbers
// (4 bytes a cell) with each slot's values and hash kept beside it, instead of a Map entry per
// key. Lookups hash the event's own values and allocate nothing.

export type KeyValue = string | number

const Empty = 0
const Removed = -1
const MaxLoad = 0.7

const float = new Float64Array(1)
const floatWords = new Int32Array(float.buffer)

/** FNV-1a over a value: characters of a string, the 64 bits of a number. */
const hashValue = (hash: number, value: KeyValue): number => {
  if (typeof value === "string") {
    for (let i = 0; i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193)
    return Math.imul(hash ^ 0xff, 0x01000193)
  }
  float[0] = value
  hash = Math.imul(hash ^ floatWords[0]!, 0x01000193)
  return Math.imul(hash ^ floatWords[1]! ^ 0x9e, 0x01000193)
}

export class KeyIndex {
  private table = new Int32Array(1024)
  private mask = 1023
  private filled = 0
  private values: Array<KeyValue | undefined> = []
  private hashes = new Int32Array(0)

  constructor(readonly arity: number) {}

  /** The hash of a tuple of values. */
  hash(values: ArrayLike<KeyValue>): number {
    let hash = 0x811c9dc5 | 0
    for (let i = 0; i < this.arity; i++) hash = hashValue(hash, values[i]!)
    return hash
  }

  /** The slot holding exactly these values, or -1. */
  find(values: ArrayLike<KeyValue>, hash: number): number {
    const table = this.table
    let at = hash & this.mask
    for (;;) {
      const cell = table[at]!
      if (cell === Empty) return -1
      if (cell !== Removed) {
        const slot = cell - 1
        if (this.hashes[slot] === hash && this.matches(slot, values)) return slot
      }
      at = (at + 1) & this.mask
    }
  }

  /** Files a slot under its values (which must not be filed yet). */
  insert(slot: number, values: ArrayLike<KeyValue>, hash: number): void {
    if (slot >= this.hashes.length) this.growSlots(slot + 1)
    const base = slot * this.arity
    for (let i = 0; i < this.arity; i++) this.values[base + i] = values[i]!
    this.hashes[slot] = hash
    if ((this.filled + 1) / this.table.length > MaxLoad) this.rehash()
    this.place(slot, hash)
  }

  remove(slot: number): void {
    const hash = this.hashes[slot]!
    let at = hash & this.mask
    while (this.table[at] !== slot + 1) at = (at + 1) & this.mask
    this.table[at] = Removed
    const base = slot * this.arity
    for (let i = 0; i < this.arity; i++) this.values[base + i] = undefined
  }

  valueOf(slot: number, part: number): KeyValue {
    return this.values[slot * this.arity + part]!
  }

  /** True when a slot is filed (its values are kept only while it is). */
  holds(slot: number): boolean {
    return this.values[slot * this.arity] !== undefined
  }

  get byteSize(): number {
    return this.table.byteLength + this.hashes.byteLength + this.values.length * 8
  }

  private matches(slot: number, values: ArrayLike<KeyValue>): boolean {
    const base = slot * this.arity
    for (let i = 0; i < this.arity; i++) if (this.values[base + i] !== values[i]) return false
    return true
  }

  private place(slot: number, hash: number): void {
    let at = hash & this.mask
    while (this.table[at]! > 0) at = (at + 1) & this.mask
    if (this.table[at] === Empty) this.filled++
    this.table[at] = slot + 1
  }

  /** Rebuilds the table without removed cells, sized for the live entries to fill half of it. */
  private rehash(): void {
    const old = this.table
    let live = 0
    for (let i = 0; i < old.length; i++) if (old[i]! > 0) live++
    let size = 1024
    while ((live + 1) / size > MaxLoad / 1.4) size *= 2
    this.table = new Int32Array(size)
    this.mask = size - 1
    this.filled = 0
    for (let i = 0; i < old.length; i++) {
      const cell = old[i]!
      if (cell > 0) this.place(cell - 1, this.hashes[cell - 1]!)
    }
  }

  private growSlots(minimum: number): void {
    const hashes = new Int32Array(Math.max(minimum, Math.ceil(this.hashes.length * 1.5), 64))
    hashes.set(this.hashes)
    this.hashes = hashes
  }
}
