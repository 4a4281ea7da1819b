// The tenant-level actor of one correlator: it owns the rule actors (and through them the group
// actors), the active lists and the timers, and is the only way in for events and clock ticks.
// Pure and deterministic: no I/O and no wall clock; time is the events' and the ticks'.
import { EventType, type NormalizedEvent } from "../model/Event.ts"
import type { Filter } from "../model/Filter.ts"
import type { CorrelatorSpec, Trigger } from "../model/Rule.ts"
import { ActiveLists } from "./ActiveLists.ts"
import { ByteReader, ByteWriter, SnapshotCorrupt } from "./Bytes.ts"
import type { EngineOutput } from "./Correlation.ts"
import { buildCorrelationEvent, ProductName, type Firing } from "./CorrelationEventBuilder.ts"
import { deterministicId } from "./DeterministicId.ts"
import { hashId } from "./GroupTable.ts"
import { IndexedHeap } from "./IndexedHeap.ts"
import { partitionOf, ruleSalt, unpartitionableReason, type PartitionSlice } from "./Partitioning.ts"
import { compileRules, type CompiledAction, type CompiledRule } from "./RuleCompiler.ts"
import { SelectorIndex } from "./SelectorIndex.ts"
import { sameValue } from "./SpecEquality.ts"
import { asText } from "./Variables.ts"

/** One record an operator imports into an active list: its key and its fields. */
export interface ActiveListImportRecord {
  readonly key: string
  readonly fields: Readonly<Record<string, string>>
}

/** One live record of an active list as an operator reads it; times are stream time, unix ms. */
export interface ActiveListEntry {
  readonly key: string
  readonly fields: Readonly<Record<string, string>>
  readonly createdAt: number
  /** Undefined for a record that never expires (a list with TTL 0). */
  readonly expiresAt: number | undefined
}

/** A page of an active list's records in key order, and how many records the query matches in all. */
export interface ActiveListPage {
  readonly total: number
  readonly records: ReadonlyArray<ActiveListEntry>
}

/** How deep correlation events may loop back into their own correlator. */
export const MaxLoopDepth = 8
const SnapshotMagic = 0x43525653 // "CRVS"
// Version 3 adds the partition slice, so a snapshot never lands in another partition or layout.
const SnapshotVersion = 3

/** One selector's progress in a group's window. */
export interface SelectorState {
  readonly name: string | undefined
  /** Events counted for it since the window opened or last fired (distinct values with unique fields). */
  readonly count: number
  readonly threshold: number
  readonly recovery: boolean
}

/** What the engine holds of one live group (a group actor): a read-only copy. */
export interface GroupState {
  readonly ruleId: string
  readonly groupKey: string
  readonly windowStart: number
  /** Stream time at which the group closes. */
  readonly windowEnd: number
  /** Events counted since the window opened or last fired. */
  readonly eventCount: number
  /** Times of the earliest and latest of those events; undefined when there are none. */
  readonly firstEventAt: number | undefined
  readonly lastEventAt: number | undefined
  /** Full matches so far in this window. */
  readonly fired: number
  readonly selectors: ReadonlyArray<SelectorState>
}

export class CorrelatorEngine {
  private readonly rules: ReadonlyArray<CompiledRule>
  private readonly index: SelectorIndex
  private readonly ruleOfOrdinal: Int32Array
  private readonly selectorOfOrdinal: Int32Array
  private readonly lists: ActiveLists
  /** Next deadline per timer source: one per standard rule, then the active lists (last). */
  private readonly deadlines: Float64Array
  private readonly timers: IndexedHeap
  private readonly rateSecond: Float64Array
  private readonly rateCount: Uint32Array
  private watermark = Number.NEGATIVE_INFINITY
  /** Stream time of what is being processed: active-list lookups and TTLs use it. */
  private now = Number.NEGATIVE_INFINITY
  private openSeq = 0
  private out: EngineOutput = { correlations: [], serviceEvents: [] }
  private readonly loopQueue: Array<{ event: NormalizedEvent; depth: number }> = []
  /** Loop depth of the event being handled. */
  private depth = 0
  /** Selectors of the current rule that the event matched: reused, so matching allocates nothing. */
  private matched = new Int32Array(16)
  /** Per rule, the salt of its groups' partitions. */
  private readonly salts: Int32Array
  /** The partition this engine runs, or undefined for the whole correlator. */
  private readonly slice: PartitionSlice | undefined

  /**
   * Compiles every rule; throws InvalidRule (with a path) for the first one that cannot run, and
   * InvalidPartitioning when a partition is asked of a correlator that cannot be split.
   */
  constructor(readonly spec: CorrelatorSpec, options: { readonly partition?: PartitionSlice } = {}) {
    this.lists = new ActiveLists(spec.activeLists)
    const lists = this.lists
    this.rules = compileRules(spec, { has: (list, key) => lists.has(list, key, this.now), isDeclared: (list) => lists.isDeclared(list) })
    const filters: Array<Filter> = []
    const ruleOf: Array<number> = []
    const selectorOf: Array<number> = []
    for (const rule of this.rules) {
      rule.filters.forEach((filter, selector) => {
        filters.push(filter)
        ruleOf.push(rule.index)
        selectorOf.push(selector)
      })
    }
    this.index = new SelectorIndex(filters)
    this.ruleOfOrdinal = Int32Array.from(ruleOf)
    this.selectorOfOrdinal = Int32Array.from(selectorOf)
    this.deadlines = new Float64Array(this.rules.length + 1).fill(Number.POSITIVE_INFINITY)
    this.timers = new IndexedHeap((a, b) => (this.deadlines[a] !== this.deadlines[b] ? this.deadlines[a]! < this.deadlines[b]! : a < b))
    this.rateSecond = new Float64Array(this.rules.length).fill(Number.NEGATIVE_INFINITY)
    this.rateCount = new Uint32Array(this.rules.length)
    this.salts = Int32Array.from(this.rules.map((rule) => ruleSalt(rule.rule.id)))
    const slice = options.partition
    if (slice !== undefined && slice.count > 1) {
      const reason = unpartitionableReason(spec)
      if (reason !== undefined) throw new InvalidPartitioning(`correlator ${spec.id} cannot be split into partitions: ${reason}`)
      if (!Number.isInteger(slice.index) || slice.index < 0 || slice.index >= slice.count) throw new InvalidPartitioning(`no partition ${slice.index} of ${slice.count}`)
    }
    this.slice = slice !== undefined && slice.count > 1 ? slice : undefined
  }

  /**
   * The partitions (of `count`) whose engines must see `event`: one per distinct (rule, group)
   * the event matches. Writes them to `out` (at least as long as the rule count) and answers how
   * many; what a router calls per event, so it allocates nothing.
   */
  route(event: NormalizedEvent, count: number, out: Int32Array): number {
    const matches = this.index.collect(event)
    const candidates = this.index.candidates()
    let found = 0
    let currentRule = -1
    for (let c = 0; c < matches; c++) {
      const ordinal = candidates[c]!
      const ruleIndex = this.ruleOfOrdinal[ordinal]!
      if (ruleIndex === currentRule) continue
      const rule = this.rules[ruleIndex]!
      if (!rule.selectors[this.selectorOfOrdinal[ordinal]!]!.predicate(event)) continue
      currentRule = ruleIndex
      const partition = count <= 1 ? 0 : partitionOf(this.salts[ruleIndex]!, this.keyHashOf(rule, event), count)
      let seen = false
      for (let i = 0; i < found; i++) if (out[i] === partition) seen = true
      if (!seen) out[found++] = partition
    }
    return found
  }

  /** Feeds events in stream order; returns the correlation and service events they caused. */
  processBatch(events: ReadonlyArray<NormalizedEvent>): EngineOutput {
    const out: EngineOutput = { correlations: [], serviceEvents: [] }
    this.out = out
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!
      // At equal time too: a bucket opened by a late event may already be overdue.
      if (event.Timestamp >= this.watermark) this.advance(event.Timestamp)
      this.now = Math.max(this.watermark, event.Timestamp)
      this.handle(event)
    }
    return out
  }

  /** A clock tick: stream time reaches `now`, so windows and list records due by then end. */
  tick(now: number): EngineOutput {
    const out: EngineOutput = { correlations: [], serviceEvents: [] }
    this.out = out
    if (now > this.watermark) this.advance(now)
    return out
  }

  /** The latest stream time seen. */
  get streamTime(): number {
    return this.watermark
  }

  /** Live group actors across rules. */
  get liveGroups(): number {
    let total = 0
    for (const rule of this.rules) total += rule.table?.liveGroups ?? 0
    return total
  }

  /**
   * The live group of `ruleId` with key `groupKey` (its text form, as correlation events carry
   * it), or undefined: unknown rule, a rule without windows (simple, operational), or no live
   * group with that key in this engine's partition. For operators inspecting one group: it scans
   * the rule's live groups, so it costs O(live groups) and must stay off the per-event path.
   */
  groupState(ruleId: string, groupKey: string): GroupState | undefined {
    const rule = this.rules.find((candidate) => candidate.rule.id === ruleId)
    const table = rule?.table
    if (rule === undefined || table === undefined) return undefined
    const slot = table.liveSlots().find((candidate) => table.keyOf(candidate) === groupKey)
    if (slot === undefined) return undefined
    const eventCount = table.eventCount(slot)
    const specs = rule.rule.kind === "standard" ? rule.rule.selectors : []
    return {
      ruleId,
      groupKey,
      windowStart: table.windowStart(slot),
      windowEnd: table.windowEnd(slot),
      eventCount,
      // A bucket that fired keeps its old start and end offsets until its next event.
      firstEventAt: eventCount > 0 ? table.startTime(slot) : undefined,
      lastEventAt: eventCount > 0 ? table.endTime(slot) : undefined,
      fired: table.fired(slot),
      selectors: rule.selectors.map((selector, index) => ({
        name: specs[index]?.name,
        count: table.countOf(slot, index),
        threshold: selector.threshold,
        recovery: selector.recovery
      }))
    }
  }

  /** Live records of an active list. */
  activeListSize(list: string): number {
    return this.lists.size(list)
  }

  /** The active lists this engine declares, with their record counts, in declaration order. */
  activeListSizes(): Array<{ readonly name: string; readonly count: number }> {
    return this.lists.names().map((name) => ({ name, count: this.lists.size(name) }))
  }

  /**
   * Imports records into the active list `list` (an operator's import, applied in stream order):
   * emptied first when `clear`, then each record replaces any earlier one of its key, in order.
   * TTLs start at the engine's stream time, or at `fallbackTime` (the import's own clock, carried
   * in the stream) before the engine has seen any; nothing expires and no rule runs here. False,
   * with nothing changed, for a list the correlator does not declare.
   */
  importActiveList(list: string, records: ReadonlyArray<ActiveListImportRecord>, options: { readonly clear: boolean; readonly fallbackTime: number }): boolean {
    if (!this.lists.isDeclared(list)) return false
    if (options.clear) this.lists.clear(list)
    const now = Number.isFinite(this.watermark) ? this.watermark : options.fallbackTime
    for (const record of records) this.lists.replace(list, record.key, record.fields, now)
    this.refreshDeadline(this.rules.length)
    return true
  }

  /**
   * Deletes the records of `keys` from the active list `list` (an operator's deletion, applied in
   * stream order): no service event, as for an expiry, and no rule runs. Unknown keys are skipped.
   * False, with nothing changed, for a list the correlator does not declare.
   */
  deleteActiveListRecords(list: string, keys: ReadonlyArray<string>): boolean {
    if (!this.lists.isDeclared(list)) return false
    for (const key of keys) this.lists.delete(list, key)
    this.refreshDeadline(this.rules.length)
    return true
  }

  /**
   * The records of an active list live at the engine's stream time whose key `matches` (all when
   * undefined), in key order, `limit` of them from `offset`; undefined for an undeclared list.
   */
  activeListPage(list: string, query: { readonly matches?: (key: string) => boolean; readonly offset: number; readonly limit: number }): ActiveListPage | undefined {
    const live = this.lists.live(list, this.watermark, query.matches)
    if (live === undefined) return undefined
    return {
      total: live.length,
      records: live.slice(query.offset, query.offset + query.limit).map(({ key, record }) => ({
        key,
        fields: record.fields,
        createdAt: record.createdAt,
        expiresAt: Number.isFinite(record.expiresAt) ? record.expiresAt : undefined
      }))
    }
  }

  /** A live record of an active list at the engine's stream time, or undefined. */
  activeListRecord(list: string, key: string): Readonly<Record<string, string>> | undefined {
    return this.lists.get(list, key, this.watermark)?.fields
  }

  /** Bytes in the rules' typed columns (not counting the key maps): for benchmarks. */
  get columnBytes(): number {
    let total = 0
    for (const rule of this.rules) total += rule.table?.columnBytes ?? 0
    return total
  }

  private handle(event: NormalizedEvent): void {
    const count = this.index.collect(event)
    const candidates = this.index.candidates()
    let matchedCount = 0
    let currentRule = -1
    // Whether this partition owns the event's group of the current rule: hashed once per rule.
    let owned = true
    for (let c = 0; c < count; c++) {
      const ordinal = candidates[c]!
      const ruleIndex = this.ruleOfOrdinal[ordinal]!
      if (ruleIndex !== currentRule) {
        if (matchedCount > 0) this.apply(this.rules[currentRule]!, event, this.matched, matchedCount)
        matchedCount = 0
        currentRule = ruleIndex
        owned = this.slice === undefined || this.owns(this.rules[ruleIndex]!, event)
      }
      if (!owned) continue
      const selector = this.selectorOfOrdinal[ordinal]!
      if (this.rules[ruleIndex]!.selectors[selector]!.predicate(event)) {
        if (matchedCount === this.matched.length) {
          const wider = new Int32Array(2 * matchedCount)
          wider.set(this.matched)
          this.matched = wider
        }
        this.matched[matchedCount++] = selector
      }
    }
    if (matchedCount > 0) this.apply(this.rules[currentRule]!, event, this.matched, matchedCount)
    this.drainLoops()
  }

  /** The hash that places an event's group of `rule`: its group key, or the event itself for a simple rule. */
  private keyHashOf(rule: CompiledRule, event: NormalizedEvent): number {
    return rule.table !== undefined ? rule.table.keyHash(event) : hashId(event.ID)
  }

  /** Whether this engine's partition owns the event's group of `rule`. */
  private owns(rule: CompiledRule, event: NormalizedEvent): boolean {
    const slice = this.slice!
    return partitionOf(this.salts[rule.index]!, this.keyHashOf(rule, event), slice.count) === slice.index
  }

  /** Looped correlation events follow what caused them (an event or a timer), before anything else. */
  private drainLoops(): void {
    while (this.loopQueue.length > 0) {
      const next = this.loopQueue.shift()!
      const outer = this.depth
      this.depth = next.depth
      this.handle(next.event)
      this.depth = outer
    }
  }

  /** One rule's reaction to an event that matched some of its selectors. */
  private apply(rule: CompiledRule, event: NormalizedEvent, matched: Int32Array, matchedCount: number): void {
    const kind = rule.rule.kind
    if (kind === "simple") {
      if (rule.actions.onEveryEvent.length > 0) {
        this.fire({ rule, trigger: "onEveryEvent", actionIndex: 0, groupKey: "", identity: [event.ID], time: event.Timestamp, startTime: event.Timestamp, endTime: event.Timestamp, baseEventIds: [event.ID], baseEventCount: 1, event })
      }
      return
    }
    if (kind === "operational") {
      if (this.allowFiring(rule, event.Timestamp)) for (const operation of rule.operations) this.runListAction(operation, event as unknown as Record<string, unknown>, event)
      return
    }
    const table = rule.table!
    let slot = table.locate(event)
    for (let i = 0; i < matchedCount; i++) {
      if (!rule.selectors[matched[i]!]!.recovery) continue
      // A recovery event resets its bucket without firing.
      if (slot >= 0) {
        table.close(slot)
        this.refreshDeadline(rule.index)
      }
      return
    }
    if (slot < 0) {
      slot = table.openLocated(event, event.Timestamp, this.openSeq++)
      this.refreshDeadline(rule.index)
    }
    const selectors = table.selectors
    let counted = 0
    if (rule.uniqueKey !== undefined) {
      const values = rule.uniqueKey(event)
      let seen = table.unique.get(slot)
      if (seen === undefined) {
        seen = new Set()
        table.unique.set(slot, seen)
      }
      for (let i = 0; i < matchedCount; i++) {
        const token = `${matched[i]}\u001f${values}`
        if (seen.has(token)) continue
        seen.add(token)
        table.count(slot, matched[i]!)
        counted++
      }
    } else {
      for (let i = 0; i < matchedCount; i++) table.count(slot, matched[i]!)
      counted = matchedCount
    }
    if (counted === 0) return
    table.addEvent(slot, event.ID, event.Timestamp)
    if (rule.actions.onEveryEvent.length > 0) {
      this.fire({ rule, trigger: "onEveryEvent", actionIndex: 0, groupKey: table.keyOf(slot), identity: [event.ID], time: event.Timestamp, startTime: event.Timestamp, endTime: event.Timestamp, baseEventIds: [event.ID], baseEventCount: 1, event })
    }
    for (let s = 0; s < selectors; s++) {
      const selector = rule.selectors[s]!
      if (!selector.recovery && table.countOf(slot, s) < selector.threshold) return
    }
    // A full match fires and clears the bucket's events; the window goes on.
    const ordinal = table.fire(slot)
    const trigger: Trigger = ordinal === 1 ? "onFirstThreshold" : "onSubsequentThresholds"
    if (rule.actions[trigger].length > 0) {
      this.fire({
        rule,
        trigger,
        actionIndex: 0,
        // The key's text is built only when a bucket fires, never per event.
        groupKey: table.keyOf(slot),
        identity: [table.windowStart(slot), table.firstIdHash(slot), ordinal],
        time: event.Timestamp,
        startTime: table.startTime(slot),
        endTime: table.endTime(slot),
        baseEventIds: table.baseEventIds(slot),
        baseEventCount: table.eventCount(slot),
        event
      })
    }
    table.resetEvents(slot)
  }

  /** Runs a trigger's actions, once the rate limit allows the firing. */
  private fire(firing: { -readonly [K in keyof Firing]: Firing[K] }): void {
    const rule = firing.rule
    const actions = rule.actions[firing.trigger]
    if (actions.length === 0 || !this.allowFiring(rule, firing.time)) return
    for (let i = 0; i < actions.length; i++) {
      // One firing object per firing: each action sees its own index, and none keeps the object.
      firing.actionIndex = actions[i]!.index
      this.runAction(rule, actions[i]!, firing)
    }
  }

  /** The rate limit: at most `rateLimit` firings per second of stream time. */
  private allowFiring(rule: CompiledRule, time: number): boolean {
    const limit = rule.rule.rateLimit
    if (limit === 0) return true
    // A late firing counts in the latest second seen, so lateness cannot reopen a full second.
    const second = Math.floor(time / 1000)
    if (second > this.rateSecond[rule.index]!) {
      this.rateSecond[rule.index] = second
      this.rateCount[rule.index] = 0
    }
    if (this.rateCount[rule.index]! >= limit) return false
    this.rateCount[rule.index]!++
    return true
  }

  private runAction(rule: CompiledRule, action: CompiledAction, firing: Firing): void {
    const built = buildCorrelationEvent(this.spec, firing)
    const context = built as unknown as NormalizedEvent
    for (const operation of action.activeLists) this.runListAction(operation, built, context)
    for (const item of action.enrichment) item.write(built, item.read(firing.event ?? context))
    if (!action.correlationEvent) return
    const event = built as unknown as NormalizedEvent
    this.out.correlations.push({
      correlatorId: this.spec.id,
      ruleId: rule.rule.id,
      groupKey: firing.groupKey,
      trigger: firing.trigger,
      event,
      createAlert: !action.noAlert,
      sendTo: action.sendTo
    })
    if (action.loop && this.depth < MaxLoopDepth) this.loopQueue.push({ event, depth: this.depth + 1 })
  }

  private runListAction(operation: CompiledRule["operations"][number], target: Record<string, unknown>, source: NormalizedEvent): void {
    const key = operation.key(source)
    if (operation.op === "delete") {
      this.lists.delete(operation.list, key)
      return
    }
    if (operation.op === "get") {
      const record = this.lists.get(operation.list, key, this.now)
      if (record === undefined) return
      for (const entry of operation.mapping) entry.write?.(target, record.fields[entry.listField])
      return
    }
    const fields: Record<string, string> = {}
    for (const entry of operation.mapping) {
      const value = entry.read?.(source)
      if (value !== undefined) fields[entry.listField] = asText(value)
    }
    this.lists.set(operation.list, key, fields, this.now)
    this.refreshDeadline(this.rules.length)
  }

  /** Moves stream time to `now`, running every window end and list expiry due by then, in order. */
  private advance(now: number): void {
    for (;;) {
      const source = this.timers.peek()
      if (source < 0 || this.deadlines[source]! > now) break
      const due = this.deadlines[source]!
      this.now = due
      if (source === this.rules.length) this.expireListRecord(due)
      else this.expireBucket(this.rules[source]!, due)
      this.refreshDeadline(source)
      this.drainLoops()
    }
    this.watermark = now
    this.now = now
  }

  private expireBucket(rule: CompiledRule, now: number): void {
    const table = rule.table!
    const slot = table.firstExpired(now)
    if (slot < 0) return
    // On timeout: the window ended with at least one event since the last full match.
    if (table.eventCount(slot) > 0 && rule.actions.onTimeout.length > 0) {
      this.fire({
        rule,
        trigger: "onTimeout",
        actionIndex: 0,
        groupKey: table.keyOf(slot),
        identity: [table.windowStart(slot), table.firstIdHash(slot), "timeout"],
        time: table.windowEnd(slot),
        startTime: table.startTime(slot),
        endTime: table.endTime(slot),
        baseEventIds: table.baseEventIds(slot),
        baseEventCount: table.eventCount(slot),
        event: undefined
      })
    }
    table.close(slot)
  }

  private expireListRecord(now: number): void {
    const expired = this.lists.popExpired(now)
    if (expired === undefined) return
    // The expiry is itself an event that this correlator's rules can match.
    const event: NormalizedEvent = {
      ID: deterministicId([this.spec.id, "active-list-expired", expired.list, expired.key, expired.record.expiresAt, expired.record.seq]),
      Timestamp: expired.record.expiresAt,
      TenantID: this.spec.tenantId,
      Type: EventType.Service,
      Name: "Active list record expired",
      DeviceVendor: ProductName,
      DeviceProduct: ProductName,
      DeviceEventCategory: "ActiveList",
      DeviceAction: "expired",
      ServiceID: this.spec.id,
      ServiceName: this.spec.name,
      DeviceCustomString1: expired.list,
      DeviceCustomString1Label: "ActiveListName",
      DeviceCustomString2: expired.key,
      DeviceCustomString2Label: "ActiveListKey",
      Extra: { ...expired.record.fields }
    }
    this.out.serviceEvents.push(event)
    this.handle(event)
  }

  private refreshDeadline(source: number): void {
    const next = source === this.rules.length ? this.lists.nextDeadline() : this.rules[source]!.table!.nextDeadline()
    if (next === this.deadlines[source]) {
      if (Number.isFinite(next) && !this.timers.has(source)) this.timers.push(source)
      return
    }
    this.deadlines[source] = next
    if (!Number.isFinite(next)) this.timers.remove(source)
    else if (this.timers.has(source)) this.timers.update(source)
    else this.timers.push(source)
  }

  /** The whole state (windows, counts, IDs, unique values, lists, rate limits, time) as bytes. */
  snapshot(): Uint8Array {
    const w = new ByteWriter()
    w.u32(SnapshotMagic)
    w.u32(SnapshotVersion)
    w.string(this.spec.id)
    w.u32(this.slice?.index ?? 0)
    w.u32(this.slice?.count ?? 1)
    w.u32(this.rules.length)
    for (const rule of this.rules) w.string(rule.rule.id)
    w.f64(this.watermark)
    w.f64(this.openSeq)
    for (let r = 0; r < this.rules.length; r++) {
      w.f64(this.rateSecond[r]!)
      w.u32(this.rateCount[r]!)
      const table = this.rules[r]!.table
      if (table === undefined) {
        w.u32(0)
        continue
      }
      const slots = table.liveSlots()
      w.u32(slots.length)
      for (const slot of slots) {
        w.string(table.keyOf(slot))
        w.f64(table.windowStart(slot))
        w.f64(table.openSeq(slot))
        w.u32(table.firstIdHash(slot))
        w.f64(table.startTime(slot))
        w.f64(table.endTime(slot))
        w.u32(table.eventCount(slot))
        w.u32(table.fired(slot))
        for (let s = 0; s < table.selectors; s++) w.u32(table.countOf(slot, s))
        const ids = table.baseEventIds(slot)
        w.u32(ids.length)
        for (const id of ids) w.string(id)
        const unique = [...(table.unique.get(slot) ?? [])]
        w.u32(unique.length)
        for (const token of unique) w.string(token)
      }
    }
    const records = this.lists.entries()
    w.f64(this.lists.nextSeq)
    w.u32(records.length)
    for (const { list, key, record } of records) {
      w.string(list)
      w.string(key)
      w.f64(record.expiresAt)
      w.f64(record.seq)
      w.f64(record.createdAt)
      const fields = Object.entries(record.fields)
      w.u32(fields.length)
      for (const [name, value] of fields) {
        w.string(name)
        w.string(value)
      }
    }
    return w.result()
  }

  /**
   * The engine of `spec`, a new revision of this engine's correlator, with this engine's state
   * moved over (see `restore`'s `previous`): groups and rate limits of the rules whose id and
   * definition are unchanged, records of the active lists declared the same, and stream time.
   */
  static reloaded(engine: CorrelatorEngine, spec: CorrelatorSpec): CorrelatorEngine {
    return CorrelatorEngine.restore(spec, engine.snapshot(), { ...(engine.slice !== undefined ? { partition: engine.slice } : {}), previous: engine.spec })
  }

  /**
   * A fresh engine for `spec` (and partition) in the state `snapshot` holds. Without `previous`
   * the snapshot must be of `spec`'s rules. With it, the snapshot is of `previous` (an earlier
   * revision of the same correlator) and only what is still valid moves over: a rule keeps its
   * groups and rate limit when a rule with its id is in `spec` with an identical definition and
   * the global variables are identical too; an active list keeps its records when `spec`
   * declares it identically. Changed and removed rules and lists drop theirs, new ones start
   * empty; stream time and the order of open groups carry over.
   */
  static restore(spec: CorrelatorSpec, snapshot: Uint8Array, options: { readonly partition?: PartitionSlice; readonly previous?: CorrelatorSpec } = {}): CorrelatorEngine {
    const engine = new CorrelatorEngine(spec, options)
    const previous = options.previous ?? spec
    const r = new ByteReader(snapshot)
    if (r.u32() !== SnapshotMagic || r.u32() !== SnapshotVersion) throw new SnapshotCorrupt("not a correlator snapshot of this version")
    if (r.string() !== spec.id) throw new SnapshotCorrupt("snapshot of another correlator")
    const index = r.u32()
    const count = r.u32()
    if (index !== (engine.slice?.index ?? 0) || count !== (engine.slice?.count ?? 1)) {
      throw new SnapshotCorrupt(`snapshot of partition ${index} of ${count}, not ${engine.slice?.index ?? 0} of ${engine.slice?.count ?? 1}`)
    }
    const ruleCount = r.u32()
    const ruleIds = Array.from({ length: ruleCount }, () => r.string())
    if (ruleIds.join("\u0000") !== previous.rules.map((rule) => rule.id).join("\u0000")) throw new SnapshotCorrupt("snapshot of other rules")
    // Where each snapshot rule's state goes in the new engine; -1: dropped.
    const globalsKept = sameValue(previous.globalVariables, spec.globalVariables)
    const targets = previous.rules.map((rule, index) => {
      if (options.previous === undefined) return index
      if (!globalsKept) return -1
      const target = engine.rules.findIndex((candidate) => candidate.rule.id === rule.id)
      return target >= 0 && sameValue(rule, engine.rules[target]!.rule) ? target : -1
    })
    engine.watermark = r.f64()
    engine.now = engine.watermark
    engine.openSeq = r.f64()
    for (let index = 0; index < ruleCount; index++) {
      const target = targets[index]!
      const rateSecond = r.f64()
      const rateCount = r.u32()
      const slots = r.u32()
      if (target < 0) {
        skipSlots(r, slots, previous.rules[index]!)
        continue
      }
      engine.rateSecond[target] = rateSecond
      engine.rateCount[target] = rateCount
      const table = engine.rules[target]!.table
      for (let i = 0; i < slots; i++) {
        const key = r.string()
        const windowStart = r.f64()
        const openSeq = r.f64()
        const firstIdHash = r.u32()
        const startTime = r.f64()
        const endTime = r.f64()
        const eventCount = r.u32()
        const fired = r.u32()
        if (table === undefined) throw new SnapshotCorrupt("buckets for a rule without windows")
        const slot = table.openKey(key, windowStart, openSeq, firstIdHash)
        for (let s = 0; s < table.selectors; s++) table.setCount(slot, s, r.u32())
        const idCount = r.u32()
        for (let k = 0; k < idCount; k++) table.addEvent(slot, r.string(), startTime)
        table.setTimes(slot, startTime, endTime)
        table.setCounters(slot, eventCount, fired)
        const uniqueCount = r.u32()
        if (uniqueCount > 0) table.unique.set(slot, new Set(Array.from({ length: uniqueCount }, () => r.string())))
      }
      if (table !== undefined) engine.refreshDeadline(target)
    }
    const listKept = (list: string): boolean => {
      const declared = spec.activeLists.find((candidate) => candidate.name === list)
      return declared !== undefined && (options.previous === undefined || sameValue(previous.activeLists.find((candidate) => candidate.name === list), declared))
    }
    const nextSeq = r.f64()
    const records = r.u32()
    for (let i = 0; i < records; i++) {
      const list = r.string()
      const key = r.string()
      const expiresAt = r.f64()
      const seq = r.f64()
      const createdAt = r.f64()
      const fieldCount = r.u32()
      const fields: Record<string, string> = {}
      for (let f = 0; f < fieldCount; f++) fields[r.string()] = r.string()
      if (listKept(list)) engine.lists.restore(list, key, { fields, expiresAt, seq, createdAt })
    }
    engine.lists.restoreSeq(nextSeq)
    engine.refreshDeadline(engine.rules.length)
    if (!r.done) throw new SnapshotCorrupt("trailing bytes after the snapshot")
    return engine
  }
}

/** Reads past the groups of a snapshot rule whose state a reload drops (their layout is `rule`'s). */
const skipSlots = (r: ByteReader, slots: number, rule: CorrelatorSpec["rules"][number]): void => {
  if (slots > 0 && rule.kind !== "standard") throw new SnapshotCorrupt("buckets for a rule without windows")
  const selectors = rule.kind === "standard" ? rule.selectors.length : 0
  for (let i = 0; i < slots; i++) {
    // In `snapshot`'s order: key, window start, open order, first-ID hash, start and end time, counters.
    r.string()
    r.f64()
    r.f64()
    r.u32()
    r.f64()
    r.f64()
    r.u32()
    r.u32()
    for (let s = 0; s < selectors; s++) r.u32()
    const ids = r.u32()
    for (let k = 0; k < ids; k++) r.string()
    const unique = r.u32()
    for (let k = 0; k < unique; k++) r.string()
  }
}

/** A partition was asked of a correlator that cannot be split, or is out of range. */
export class InvalidPartitioning extends Error {
  readonly _tag = "InvalidPartitioning"
}

