// The group actors of one standard rule, kept as columns: one slot per live bucket (group key),
// its window, per-selector counts, base event IDs in the ID pool and its deadline. A million
// live keys cost typed-array columns, not an object graph. Buckets are found through the
// KeyIndex (the identical fields' values hashed and compared in place), so finding the bucket of
// an event allocates nothing; the key's text is built only when the bucket fires.
import type { NormalizedEvent } from "../model/Event.ts"
import { DeadlineQueue } from "./DeadlineQueue.ts"
import type { FieldReader } from "./FieldReader.ts"
import { IdPool } from "./IdPool.ts"
import { KeyIndex, type KeyValue } from "./KeyIndex.ts"
import { asText } from "./Variables.ts"

/** Base event IDs kept per firing; BaseEventCount keeps counting past it. */
export const MaxBaseEventIds = 1_000

/** One identical field: how to read it, and whether its values are numbers. */
export interface KeyPart {
  readonly read: FieldReader
  readonly numeric: boolean
}

/** Separates the values of a composite group key in its text form. */
export const KeySeparator = "\u001f"
const Escape = "\u001e"

/** A value's text inside a composite key: the separator and the escape are escaped. */
export const escapePart = (text: string): string =>
  text.includes(KeySeparator) || text.includes(Escape) ? text.replace(/[\u001e\u001f]/g, (char) => (char === Escape ? `${Escape}0` : `${Escape}1`)) : text

/** The values of a group key in its text form, for `parts` identical fields. */
export const splitGroupKey = (groupKey: string, parts: number): Array<string> =>
  parts <= 1
    ? [groupKey]
    : groupKey.split(KeySeparator).map((text) => (text.includes(Escape) ? text.replace(/\u001e[01]/g, (pair) => (pair === `${Escape}0` ? Escape : KeySeparator)) : text))

/** A 32-bit FNV-1a hash of an event ID: with the window start it names a window for IDs. */
export const hashId = (id: string): number => {
  let hash = 0x811c9dc5
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

type Value = KeyValue

/** Offsets of a slot's fields in its int32 record. */
const Field = {
  startOffset: 0,
  endOffset: 1,
  generation: 2,
  idHead: 3,
  idCount: 4,
  eventCount: 5,
  fired: 6,
  firstIdHash: 7,
  counts: 8
} as const

export class GroupTable {
  private readonly index: KeyIndex
  private live = 0
  private readonly partValue: ReadonlyArray<(event: NormalizedEvent) => Value>
  private readonly values: Array<Value>
  /** Hash of the values the last `locate` read. */
  private locatedHash = 0
  private capacity = 0
  private used = 0
  private freeSlots: Array<number> = []
  /**
   * Per slot, the window's start and opening order (float64 pairs), and one int32 record:
   * counting an event touches these two places, not a column per field.
   */
  private times = new Float64Array(0)
  private records = new Int32Array(0)
  /** int32s per record: the fields below, then one count per selector. */
  private readonly stride: number
  /** Values seen per slot, for rules with unique fields: `${selector}\u001f${values}`. */
  readonly unique = new Map<number, Set<string>>()
  readonly ids = new IdPool()
  private readonly deadlines: DeadlineQueue

  constructor(readonly selectors: number, readonly windowMillis: number, readonly parts: ReadonlyArray<KeyPart>) {
    // Values as map keys: numbers stay numbers, strings stay the event's own strings, and a
    // missing value is "" (so it groups with an empty one, as the key text does).
    this.partValue = (parts.length === 0 ? [{ read: () => "", numeric: false }] : parts).map(({ read, numeric }) =>
      numeric
        ? (event: NormalizedEvent): Value => {
            const value = read(event)
            return typeof value === "number" ? value : value === undefined ? "" : asText(value)
          }
        : (event: NormalizedEvent): Value => {
            const value = read(event)
            return typeof value === "string" ? value : asText(value)
          }
    )
    this.values = new Array<Value>(this.partValue.length)
    this.index = new KeyIndex(this.partValue.length)
    this.stride = Field.counts + selectors
    this.deadlines = new DeadlineQueue(
      (slot) => this.times[2 * slot]!,
      (slot) => this.times[2 * slot + 1]!,
      (slot) => this.records[slot * this.stride + Field.generation]!
    )
    this.grow(64)
  }

  get liveGroups(): number {
    return this.live
  }

  /** The hash of the event's group key, as the table indexes it: stable across processes. */
  keyHash(event: NormalizedEvent): number {
    const values = this.values
    for (let i = 0; i < values.length; i++) values[i] = this.partValue[i]!(event)
    return this.index.hash(values)
  }

  /** The slot of the event's live bucket, or -1. */
  locate(event: NormalizedEvent): number {
    const values = this.values
    for (let i = 0; i < values.length; i++) values[i] = this.partValue[i]!(event)
    this.locatedHash = this.index.hash(values)
    return this.index.find(values, this.locatedHash)
  }

  /** Opens the bucket that the last `locate(event)` did not find, reusing its values and hash. */
  openLocated(event: NormalizedEvent, time: number, seq: number): number {
    return this.openWith(this.values, time, seq, hashId(event.ID), this.locatedHash)
  }

  /** Opens the event's bucket, its window starting at `time`. */
  openFor(event: NormalizedEvent, time: number, seq: number): number {
    const values = this.values
    for (let i = 0; i < values.length; i++) values[i] = this.partValue[i]!(event)
    return this.openWith(values, time, seq, hashId(event.ID), this.index.hash(values))
  }

  /** Opens the bucket of a key in its text form (restoring a snapshot). */
  openKey(groupKey: string, time: number, seq: number, firstIdHash: number): number {
    const values = this.valuesOf(groupKey)
    return this.openWith(values, time, seq, firstIdHash, this.index.hash(values))
  }

  /** The group key's text: the value itself for one identical field, escaped values joined otherwise. */
  keyOf(slot: number): string {
    const arity = this.partValue.length
    if (arity === 1) return asText(this.index.valueOf(slot, 0))
    let key = escapePart(asText(this.index.valueOf(slot, 0)))
    for (let i = 1; i < arity; i++) key += KeySeparator + escapePart(asText(this.index.valueOf(slot, i)))
    return key
  }

  /** Counts one event into the bucket (its ID once, whatever selectors it matched). */
  addEvent(slot: number, id: string, time: number): void {
    // Offsets fit 32 bits for windows up to the schema's limit; a far-late event is clamped.
    const records = this.records
    const at = slot * this.stride
    const offset = Math.max(-0x8000_0000, Math.min(0x7fff_ffff, time - this.times[2 * slot]!))
    if (records[at + Field.eventCount] === 0) {
      records[at + Field.startOffset] = offset
      records[at + Field.endOffset] = offset
    } else {
      if (offset < records[at + Field.startOffset]!) records[at + Field.startOffset] = offset
      if (offset > records[at + Field.endOffset]!) records[at + Field.endOffset] = offset
    }
    records[at + Field.eventCount]!++
    if (records[at + Field.idCount]! < MaxBaseEventIds) {
      // Chains grow at the head; reading reverses them back to arrival order.
      records[at + Field.idHead] = this.ids.prepend(records[at + Field.idHead]!, id)
      records[at + Field.idCount]!++
    }
  }

  /** Adds one to a selector's count and returns the new count. */
  count(slot: number, selector: number): number {
    return ++this.records[slot * this.stride + Field.counts + selector]!
  }

  countOf(slot: number, selector: number): number {
    return this.records[slot * this.stride + Field.counts + selector]!
  }

  setCount(slot: number, selector: number, value: number): void {
    this.records[slot * this.stride + Field.counts + selector] = value
  }

  eventCount(slot: number): number {
    return this.records[slot * this.stride + Field.eventCount]!
  }

  /** Full matches so far in this window. */
  fired(slot: number): number {
    return this.records[slot * this.stride + Field.fired]!
  }

  /** Records one more full match; returns its ordinal in the window. */
  fire(slot: number): number {
    return ++this.records[slot * this.stride + Field.fired]!
  }

  /** Restores the counters of a snapshot. */
  setCounters(slot: number, eventCount: number, fired: number): void {
    this.records[slot * this.stride + Field.eventCount] = eventCount
    this.records[slot * this.stride + Field.fired] = fired
  }

  windowStart(slot: number): number {
    return this.times[2 * slot]!
  }

  openSeq(slot: number): number {
    return this.times[2 * slot + 1]!
  }

  firstIdHash(slot: number): number {
    return this.records[slot * this.stride + Field.firstIdHash]! >>> 0
  }

  startTime(slot: number): number {
    return this.times[2 * slot]! + this.records[slot * this.stride + Field.startOffset]!
  }

  endTime(slot: number): number {
    return this.times[2 * slot]! + this.records[slot * this.stride + Field.endOffset]!
  }

  /** Restores the times of a snapshot. */
  setTimes(slot: number, startTime: number, endTime: number): void {
    this.records[slot * this.stride + Field.startOffset] = startTime - this.times[2 * slot]!
    this.records[slot * this.stride + Field.endOffset] = endTime - this.times[2 * slot]!
  }

  baseEventIds(slot: number): Array<string> {
    return this.ids.read(this.records[slot * this.stride + Field.idHead]!).reverse()
  }

  /** After a full match: the bucket keeps its window but forgets its events. */
  resetEvents(slot: number): void {
    const at = slot * this.stride
    this.ids.release(this.records[at + Field.idHead]!)
    this.records[at + Field.idHead] = -1
    this.records[at + Field.idCount] = 0
    this.records[at + Field.eventCount] = 0
    this.records.fill(0, at + Field.counts, at + this.stride)
    if (this.unique.size > 0) this.unique.delete(slot)
  }

  /** Removes the bucket (window over, or reset by a recovery event). */
  close(slot: number): void {
    this.resetEvents(slot)
    this.deadlines.remove(slot)
    this.records[slot * this.stride + Field.generation]!++
    this.index.remove(slot)
    this.live--
    this.freeSlots.push(slot)
  }

  windowEnd(slot: number): number {
    return this.times[2 * slot]! + this.windowMillis
  }

  /** The earliest window end of a live bucket, or +Infinity. */
  nextDeadline(): number {
    const slot = this.deadlines.first()
    return slot < 0 ? Number.POSITIVE_INFINITY : this.windowEnd(slot)
  }

  /** The live bucket whose window ended at or before `now` first, or -1. */
  firstExpired(now: number): number {
    const slot = this.deadlines.first()
    return slot >= 0 && this.windowEnd(slot) <= now ? slot : -1
  }

  /** Live slots in deadline order (for snapshots). */
  liveSlots(): Array<number> {
    const slots: Array<number> = []
    for (let slot = 0; slot < this.used; slot++) if (this.index.holds(slot)) slots.push(slot)
    slots.sort((a, b) => this.windowStart(a) - this.windowStart(b) || this.openSeq(a) - this.openSeq(b))
    return slots
  }

  /** Bytes of the typed columns, the ID pool and the deadlines (not the maps of keys). */
  get columnBytes(): number {
    return this.times.byteLength + this.records.byteLength + this.ids.byteSize + this.deadlines.byteSize + this.index.byteSize
  }

  /** The map-key values of a key in its text form (numbers back to numbers). */
  private valuesOf(groupKey: string): Array<Value> {
    return splitGroupKey(groupKey, this.partValue.length).map((text, i): Value => (this.parts[i]?.numeric === true && text !== "" ? Number(text) : text))
  }

  private openWith(values: ReadonlyArray<Value>, time: number, seq: number, firstIdHash: number, keyHash: number): number {
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.nextSlot()
    this.index.insert(slot, values, keyHash)
    this.live++
    this.times[2 * slot] = time
    this.times[2 * slot + 1] = seq
    const at = slot * this.stride
    this.records[at + Field.firstIdHash] = firstIdHash | 0
    this.records[at + Field.idHead] = -1
    this.records[at + Field.fired] = 0
    this.resetEvents(slot)
    this.deadlines.add(slot)
    return slot
  }

  private nextSlot(): number {
    // Growing by a quarter keeps unused capacity (and so bytes per key) low; copies stay amortized.
    if (this.used === this.capacity) this.grow(Math.ceil(this.capacity * 1.25))
    return this.used++
  }

  private grow(capacity: number): void {
    const times = new Float64Array(capacity * 2)
    times.set(this.times)
    this.times = times
    const records = new Int32Array(capacity * this.stride)
    records.set(this.records)
    this.records = records
    this.capacity = capacity
  }
}
