// The active lists of one correlator (SPEC §4): key -> record, each record living its list's
// TTL in stream time. Expired records leave in deadline order, and the engine turns each into
// a service event its own rules can match.
import type { ActiveListSpec } from "../model/Rule.ts"

export interface ActiveListRecord {
  readonly fields: Readonly<Record<string, string>>
  /** Stream time at which the record expires (+Infinity: never). */
  readonly expiresAt: number
  /** Order of writes, to break ties between equal deadlines. */
  readonly seq: number
  readonly createdAt: number
}

export interface ExpiredRecord {
  readonly list: string
  readonly key: string
  readonly record: ActiveListRecord
}

interface Deadline {
  readonly expiresAt: number
  readonly seq: number
  readonly list: string
  readonly key: string
}

const earlier = (a: Deadline, b: Deadline) => (a.expiresAt !== b.expiresAt ? a.expiresAt < b.expiresAt : a.seq < b.seq)

export class ActiveLists {
  private readonly lists = new Map<string, Map<string, ActiveListRecord>>()
  private readonly ttlMillis = new Map<string, number>()
  /** A heap of deadlines; entries of overwritten or deleted records are skipped when popped. */
  private deadlines: Array<Deadline> = []
  /** Heap entries of records since overwritten or deleted; the heap is rebuilt when they pile up. */
  private stale = 0
  private seq = 0

  constructor(specs: ReadonlyArray<ActiveListSpec>) {
    for (const spec of specs) {
      this.lists.set(spec.name, new Map())
      this.ttlMillis.set(spec.name, spec.ttlSeconds * 1000)
    }
  }

  names(): Array<string> {
    return [...this.lists.keys()]
  }

  isDeclared(list: string): boolean {
    return this.lists.has(list)
  }

  /** True when the key has a record that has not expired at `now`. */
  has(list: string, key: string, now: number): boolean {
    const record = this.lists.get(list)?.get(key)
    return record !== undefined && record.expiresAt > now
  }

  get(list: string, key: string, now: number): ActiveListRecord | undefined {
    const record = this.lists.get(list)?.get(key)
    return record !== undefined && record.expiresAt > now ? record : undefined
  }

  /** Writes (merging into an existing record) and restarts its TTL. */
  set(list: string, key: string, fields: Readonly<Record<string, string>>, now: number): void {
    const records = this.lists.get(list)
    if (records === undefined) return
    const ttl = this.ttlMillis.get(list) ?? 0
    const previous = records.get(key)
    const record: ActiveListRecord = {
      fields: previous !== undefined && previous.expiresAt > now ? { ...previous.fields, ...fields } : { ...fields },
      expiresAt: ttl === 0 ? Number.POSITIVE_INFINITY : now + ttl,
      seq: this.seq++,
      createdAt: previous?.createdAt ?? now
    }
    records.set(key, record)
    if (previous !== undefined && Number.isFinite(previous.expiresAt)) this.stale++
    if (ttl !== 0) this.pushDeadline({ expiresAt: record.expiresAt, seq: record.seq, list, key })
    this.compactIfStale()
  }

  /**
   * Writes a record as an import does: its fields replace any earlier record of the key (no
   * merge), and its TTL starts at `now`. False for a list this correlator does not declare.
   */
  replace(list: string, key: string, fields: Readonly<Record<string, string>>, now: number): boolean {
    const records = this.lists.get(list)
    if (records === undefined) return false
    const ttl = this.ttlMillis.get(list) ?? 0
    const previous = records.get(key)
    const record: ActiveListRecord = { fields: { ...fields }, expiresAt: ttl === 0 ? Number.POSITIVE_INFINITY : now + ttl, seq: this.seq++, createdAt: now }
    records.set(key, record)
    if (previous !== undefined && Number.isFinite(previous.expiresAt)) this.stale++
    if (ttl !== 0) this.pushDeadline({ expiresAt: record.expiresAt, seq: record.seq, list, key })
    this.compactIfStale()
    return true
  }

  /** Empties a list without expiring its records (no service events); false for an undeclared list. */
  clear(list: string): boolean {
    const records = this.lists.get(list)
    if (records === undefined) return false
    if (records.size === 0) return true
    records.clear()
    // The other lists' deadlines stay; this list's are gone, so the heap is rebuilt from the live ones.
    const live = this.deadlines.filter((deadline) => this.lists.get(deadline.list)?.get(deadline.key)?.seq === deadline.seq)
    this.deadlines = []
    this.stale = 0
    for (const deadline of live) this.pushDeadline(deadline)
    return true
  }

  delete(list: string, key: string): void {
    const records = this.lists.get(list)
    const previous = records?.get(key)
    if (previous === undefined) return
    records!.delete(key)
    if (Number.isFinite(previous.expiresAt)) this.stale++
    this.compactIfStale()
  }

  /** A key written again and again leaves one live deadline, not one per write. */
  private compactIfStale(): void {
    if (this.stale < 1_024 || this.stale * 2 < this.deadlines.length) return
    const live = this.deadlines.filter((deadline) => this.lists.get(deadline.list)?.get(deadline.key)?.seq === deadline.seq)
    this.deadlines = []
    this.stale = 0
    for (const deadline of live) this.pushDeadline(deadline)
  }

  /** The earliest deadline of a live record, or +Infinity. */
  nextDeadline(): number {
    this.dropStale()
    return this.deadlines[0]?.expiresAt ?? Number.POSITIVE_INFINITY
  }

  /** Removes and returns the first record expired at `now`, if any. */
  popExpired(now: number): ExpiredRecord | undefined {
    this.dropStale()
    const first = this.deadlines[0]
    if (first === undefined || first.expiresAt > now) return undefined
    this.popDeadline()
    const records = this.lists.get(first.list)!
    const record = records.get(first.key)!
    records.delete(first.key)
    return { list: first.list, key: first.key, record }
  }

  /** Every live record, for snapshots: list, key, record, in write order. */
  entries(): Array<ExpiredRecord> {
    const all: Array<ExpiredRecord> = []
    for (const [list, records] of this.lists) for (const [key, record] of records) all.push({ list, key, record })
    return all.sort((a, b) => a.record.seq - b.record.seq)
  }

  get nextSeq(): number {
    return this.seq
  }

  /** Restores a record exactly as a snapshot held it. */
  restore(list: string, key: string, record: ActiveListRecord): void {
    this.lists.get(list)?.set(key, record)
    if (Number.isFinite(record.expiresAt)) this.pushDeadline({ expiresAt: record.expiresAt, seq: record.seq, list, key })
  }

  restoreSeq(seq: number): void {
    this.seq = seq
  }

  /** The records of a list live at `now` whose key `matches` (every key when undefined), in key order; undefined for an undeclared list. */
  live(list: string, now: number, matches?: (key: string) => boolean): Array<{ readonly key: string; readonly record: ActiveListRecord }> | undefined {
    const records = this.lists.get(list)
    if (records === undefined) return undefined
    const found: Array<{ readonly key: string; readonly record: ActiveListRecord }> = []
    for (const [key, record] of records) if (record.expiresAt > now && (matches === undefined || matches(key))) found.push({ key, record })
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  }

  size(list: string): number {
    return this.lists.get(list)?.size ?? 0
  }

  private dropStale(): void {
    for (;;) {
      const first = this.deadlines[0]
      if (first === undefined) return
      const record = this.lists.get(first.list)?.get(first.key)
      if (record !== undefined && record.seq === first.seq) return
      this.popDeadline()
      if (this.stale > 0) this.stale--
    }
  }

  private pushDeadline(deadline: Deadline): void {
    const heap = this.deadlines
    let at = heap.length
    heap.push(deadline)
    while (at > 0) {
      const parent = (at - 1) >> 1
      if (!earlier(deadline, heap[parent]!)) break
      heap[at] = heap[parent]!
      at = parent
    }
    heap[at] = deadline
  }

  private popDeadline(): void {
    const heap = this.deadlines
    const last = heap.pop()!
    if (heap.length === 0) return
    let at = 0
    for (;;) {
      let child = 2 * at + 1
      if (child >= heap.length) break
      if (child + 1 < heap.length && earlier(heap[child + 1]!, heap[child]!)) child++
      if (!earlier(heap[child]!, last)) break
      heap[at] = heap[child]!
      at = child
    }
    heap[at] = last
  }
}
