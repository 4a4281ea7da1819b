// Finds a bucket's slot by its group-key values: an open-addressing hash table of (slot, hash)
// pairs, so a probe rejects other keys without another memory read, with each slot's values encoded in one byte arena rather than kept as
// strings, so a million keys are a few typed arrays the collector never has to trace.
// Lookups hash the event's own values and compare them with the arena; they allocate nothing.

export type KeyValue = string | number

const Empty = 0
const Removed = -1
const MaxLoad = 0.7
/** No arena segment: the slot is not filed. */
const Unfiled = -1

/** Value tags in the arena: a string of one-byte characters, of two-byte characters, a number. */
const Latin1 = 0
const Wide = 1
const Float = 2

const float = new Float64Array(1)
const floatWords = new Int32Array(float.buffer)
const floatBytes = new Uint8Array(float.buffer)

/** -0 groups with 0, as their text does. */
const canonical = (value: number): number => (value === 0 ? 0 : value)

/** FNV-1a over a value: characters of a string, the 64 bits of a number. */
const hashValue = (hash: number, value: KeyValue): number => {
  if (typeof value === "string") {
    for (let i = 0; i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193)
    return Math.imul(hash ^ 0xff, 0x01000193)
  }
  float[0] = canonical(value)
  hash = Math.imul(hash ^ floatWords[0]!, 0x01000193)
  return Math.imul(hash ^ floatWords[1]! ^ 0x9e, 0x01000193)
}

const isLatin1 = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return false
  return true
}

/** Bytes a value takes in the arena: tag, length (LEB128, strings only), content. */
const encodedSize = (value: KeyValue): number => {
  if (typeof value !== "string") return 9
  let lengthBytes = 1
  for (let length = value.length; length >= 0x80; length >>>= 7) lengthBytes++
  return 1 + lengthBytes + (isLatin1(value) ? value.length : 2 * value.length)
}

export class KeyIndex {
  /** Cell i is table[2i] (slot + 1, Empty or Removed) and table[2i + 1] (the key's hash). */
  private table = new Int32Array(2 * 1024)
  private mask = 1023
  private filled = 0
  /** Per slot, where its values start in the arena, or Unfiled. */
  private starts = new Int32Array(0)
  private arena = new Uint8Array(4096)
  private arenaUsed = 0
  /** Arena bytes of removed slots, reclaimed by compaction. */
  private arenaGarbage = 0

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
      const cell = table[2 * at]!
      if (cell === Empty) return -1
      if (cell !== Removed && table[2 * at + 1] === hash && this.matches(cell - 1, values)) return cell - 1
      at = (at + 1) & this.mask
    }
  }

  /** Files a slot under its values (which must not be filed yet). */
  insert(slot: number, values: ArrayLike<KeyValue>, hash: number): void {
    if (slot >= this.starts.length) this.growSlots(slot + 1)
    let size = 0
    for (let i = 0; i < this.arity; i++) size += encodedSize(values[i]!)
    this.reserve(size)
    this.starts[slot] = this.arenaUsed
    for (let i = 0; i < this.arity; i++) this.arenaUsed = this.write(this.arenaUsed, values[i]!)
    if ((this.filled + 1) / (this.mask + 1) > MaxLoad) this.rehash()
    this.place(slot, hash)
  }

  remove(slot: number): void {
    const hash = this.hashAt(this.starts[slot]!)
    let at = hash & this.mask
    while (this.table[2 * at] !== slot + 1) at = (at + 1) & this.mask
    this.table[2 * at] = Removed
    const start = this.starts[slot]!
    this.arenaGarbage += this.segmentEnd(start) - start
    this.starts[slot] = Unfiled
  }

  /** One of a filed slot's values, decoded from the arena (for firings and snapshots, not per event). */
  valueOf(slot: number, part: number): KeyValue {
    let at = this.starts[slot]!
    for (let i = 0; i < part; i++) at = this.skip(at)
    const arena = this.arena
    const tag = arena[at]!
    if (tag === Float) {
      for (let b = 0; b < 8; b++) floatBytes[b] = arena[at + 1 + b]!
      return float[0]!
    }
    const [length, content] = this.readLength(at + 1)
    const codes = new Array<number>(Math.min(length, 4096))
    let text = ""
    // In chunks: String.fromCharCode takes its codes as arguments, and a value may be megabytes long.
    for (let from = 0; from < length; from += codes.length) {
      const count = Math.min(codes.length, length - from)
      codes.length = count
      for (let i = 0; i < count; i++) {
        const c = from + i
        codes[i] = tag === Latin1 ? arena[content + c]! : arena[content + 2 * c]! | (arena[content + 2 * c + 1]! << 8)
      }
      text += String.fromCharCode(...codes)
    }
    return text
  }

  /** True when a slot is filed. */
  holds(slot: number): boolean {
    return slot < this.starts.length && this.starts[slot] !== Unfiled
  }

  get byteSize(): number {
    return this.table.byteLength + this.starts.byteLength + this.arena.byteLength
  }

  private matches(slot: number, values: ArrayLike<KeyValue>): boolean {
    const arena = this.arena
    let at = this.starts[slot]!
    for (let i = 0; i < this.arity; i++) {
      const value = values[i]!
      const tag = arena[at]!
      if (typeof value !== "string") {
        if (tag !== Float) return false
        float[0] = canonical(value)
        for (let b = 0; b < 8; b++) if (arena[at + 1 + b] !== floatBytes[b]) return false
        at += 9
        continue
      }
      if (tag === Float) return false
      // LEB128 length, inline: one byte for any value shorter than 128 characters.
      let length = 0
      let shift = 0
      let byte: number
      at++
      do {
        byte = arena[at++]!
        length |= (byte & 0x7f) << shift
        shift += 7
      } while (byte >= 0x80)
      if (length !== value.length) return false
      if (tag === Latin1) {
        for (let c = 0; c < length; c++) if (arena[at + c] !== value.charCodeAt(c)) return false
        at += length
      } else {
        for (let c = 0; c < length; c++) if ((arena[at + 2 * c]! | (arena[at + 2 * c + 1]! << 8)) !== value.charCodeAt(c)) return false
        at += 2 * length
      }
    }
    return true
  }

  /** Encodes one value at `at`; returns the offset after it. */
  private write(at: number, value: KeyValue): number {
    const arena = this.arena
    if (typeof value !== "string") {
      arena[at] = Float
      float[0] = canonical(value)
      arena.set(floatBytes, at + 1)
      return at + 9
    }
    const latin1 = isLatin1(value)
    arena[at++] = latin1 ? Latin1 : Wide
    let length = value.length
    while (length >= 0x80) {
      arena[at++] = (length & 0x7f) | 0x80
      length >>>= 7
    }
    arena[at++] = length
    if (latin1) {
      for (let c = 0; c < value.length; c++) arena[at + c] = value.charCodeAt(c)
      return at + value.length
    }
    for (let c = 0; c < value.length; c++) {
      const code = value.charCodeAt(c)
      arena[at + 2 * c] = code & 0xff
      arena[at + 2 * c + 1] = code >>> 8
    }
    return at + 2 * value.length
  }

  /** The hash of the values filed at `start`, as `hash` gives it for them (so removal needs no stored hash). */
  private hashAt(start: number): number {
    const arena = this.arena
    let hash = 0x811c9dc5 | 0
    let at = start
    for (let i = 0; i < this.arity; i++) {
      const tag = arena[at]!
      if (tag === Float) {
        for (let b = 0; b < 8; b++) floatBytes[b] = arena[at + 1 + b]!
        hash = Math.imul(hash ^ floatWords[0]!, 0x01000193)
        hash = Math.imul(hash ^ floatWords[1]! ^ 0x9e, 0x01000193)
        at += 9
        continue
      }
      const [length, content] = this.readLength(at + 1)
      for (let c = 0; c < length; c++) {
        const code = tag === Latin1 ? arena[content + c]! : arena[content + 2 * c]! | (arena[content + 2 * c + 1]! << 8)
        hash = Math.imul(hash ^ code, 0x01000193)
      }
      hash = Math.imul(hash ^ 0xff, 0x01000193)
      at = content + (tag === Latin1 ? length : 2 * length)
    }
    return hash
  }

  /** The string length at `at` and where its content starts. */
  private readLength(at: number): [number, number] {
    let length = 0
    let shift = 0
    let byte: number
    do {
      byte = this.arena[at++]!
      length += (byte & 0x7f) * 2 ** shift
      shift += 7
    } while (byte >= 0x80)
    return [length, at]
  }

  /** The offset after the value at `at`. */
  private skip(at: number): number {
    const tag = this.arena[at]!
    if (tag === Float) return at + 9
    const [length, content] = this.readLength(at + 1)
    return content + (tag === Latin1 ? length : 2 * length)
  }

  private segmentEnd(start: number): number {
    let at = start
    for (let i = 0; i < this.arity; i++) at = this.skip(at)
    return at
  }

  /** Makes room for `size` more bytes: compacts when removed keys hold half the arena, else grows by a quarter. */
  private reserve(size: number): void {
    if (this.arenaUsed + size <= this.arena.length) return
    const live = this.arenaUsed - this.arenaGarbage
    if (this.arenaGarbage >= live) {
      this.compact(Math.max(4096, Math.ceil((live + size) * 1.25)))
      return
    }
    const grown = new Uint8Array(Math.max(this.arenaUsed + size, Math.ceil(this.arena.length * 1.25)))
    grown.set(this.arena.subarray(0, this.arenaUsed))
    this.arena = grown
  }

  /** Copies the filed slots' segments, in slot order, into a fresh arena of `capacity` bytes. */
  private compact(capacity: number): void {
    const old = this.arena
    const arena = new Uint8Array(capacity)
    let used = 0
    for (let slot = 0; slot < this.starts.length; slot++) {
      const start = this.starts[slot]!
      if (start === Unfiled) continue
      const end = this.segmentEnd(start)
      arena.set(old.subarray(start, end), used)
      this.starts[slot] = used
      used += end - start
    }
    this.arena = arena
    this.arenaUsed = used
    this.arenaGarbage = 0
  }

  private place(slot: number, hash: number): void {
    let at = hash & this.mask
    while (this.table[2 * at]! > 0) at = (at + 1) & this.mask
    if (this.table[2 * at] === Empty) this.filled++
    this.table[2 * at] = slot + 1
    this.table[2 * at + 1] = hash
  }

  /** Rebuilds the table without removed cells, sized for the live entries to fill half of it. */
  private rehash(): void {
    const old = this.table
    let live = 0
    for (let i = 0; i < old.length; i += 2) if (old[i]! > 0) live++
    let size = 1024
    while ((live + 1) / size > MaxLoad / 1.4) size *= 2
    this.table = new Int32Array(2 * size)
    this.mask = size - 1
    this.filled = 0
    for (let i = 0; i < old.length; i += 2) {
      const cell = old[i]!
      if (cell > 0) this.place(cell - 1, old[i + 1]!)
    }
  }

  private growSlots(minimum: number): void {
    const capacity = Math.max(minimum, Math.ceil(this.starts.length * 1.25), 64)
    const starts = new Int32Array(capacity).fill(Unfiled)
    starts.set(this.starts)
    this.starts = starts
  }
}
