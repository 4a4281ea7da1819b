// Runs a parsed search over the event store. The plan: the caller's tenants (narrowed, never
// widened, by TenantID conditions of the query) and the period (narrowed by Timestamp bounds) go
// to the store as the partitions to read; the store pushes down what its engine can evaluate;
// this module does the rest: grouping, aggregates, ordering by any key and the limit.
import { Effect } from "effect"
import type { NormalizedEvent } from "../../model/Event.ts"
import type { Filter } from "../../model/Filter.ts"
import type { TenantId } from "../../model/Ids.ts"
import { EventStore, EventStoreError } from "../EventStore.ts"
import type { AggregateFunction, EventSql, FieldRef, OrderKey, SelectItem } from "./EventSql.ts"

/** Who asks and for when: tenants the caller may see, period in epoch ms (inclusive). */
export interface SearchScope {
  readonly tenantIds: ReadonlyArray<TenantId>
  readonly from: number
  readonly to: number
}

export type SearchOutcome =
  | { readonly kind: "events"; readonly events: ReadonlyArray<NormalizedEvent> }
  | { readonly kind: "groups"; readonly columns: ReadonlyArray<SelectItem>; readonly rows: ReadonlyArray<ReadonlyArray<unknown>> }

/** More groups than this in one search is refused: the answer would not fit a screen or memory. */
export const MaxGroups = 100_000

type Value = string | number | undefined

/** Reads a field or an Extra entry; lists and maps are never asked for (the parser refuses them). */
export const fieldReader = (field: FieldRef): ((event: NormalizedEvent) => Value) => {
  if (field.startsWith("Extra.")) {
    const key = field.slice("Extra.".length)
    return (event) => {
      const value: unknown = event.Extra?.[key]
      return typeof value === "string" ? value : undefined
    }
  }
  const name = field as keyof NormalizedEvent
  return (event) => event[name] as Value
}

/** Missing values sort last whatever the direction; numbers before text. */
const compareValues = (a: unknown, b: unknown): number => {
  if (a === b) return 0
  if (a === undefined || a === null) return 1
  if (b === undefined || b === null) return -1
  if (typeof a === "number" && typeof b === "number") return a - b
  if (typeof a === "number") return -1
  if (typeof b === "number") return 1
  return String(a) < String(b) ? -1 : 1
}

const directed = (order: number, direction: "asc" | "desc", a: unknown, b: unknown): number =>
  a === undefined || a === null || b === undefined || b === null ? order : direction === "asc" ? order : -order

/** The planner's narrowing: tenants and period implied by top-level AND conditions of the filter. */
export const narrowScope = (scope: SearchScope, filter: Filter): SearchScope => {
  const conditions = "and" in filter ? filter.and : [filter]
  let tenantIds = scope.tenantIds
  let from = scope.from
  let to = scope.to
  for (const condition of conditions) {
    if (!("field" in condition)) continue
    if (condition.field === "TenantID" && (condition.op === "=" || condition.op === "in")) {
      const values = condition.op === "in" ? condition.values : "value" in condition && typeof condition.value !== "object" ? [condition.value] : undefined
      if (values !== undefined) {
        const wanted = new Set(values.map(String))
        tenantIds = tenantIds.filter((tenantId) => wanted.has(tenantId))
      }
    }
    if (condition.field === "Timestamp" && "value" in condition && typeof condition.value === "number") {
      const value = condition.value
      if (condition.op === "=") {
        from = Math.max(from, value)
        to = Math.min(to, value)
      } else if (condition.op === ">") from = Math.max(from, Math.floor(value) + 1)
      else if (condition.op === ">=") from = Math.max(from, Math.ceil(value))
      else if (condition.op === "<") to = Math.min(to, Math.ceil(value) - 1)
      else if (condition.op === "<=") to = Math.min(to, Math.floor(value))
    }
  }
  return { tenantIds, from, to }
}

/** Runs `sql` within `scope`; the scope's tenants bound every row that can come back. */
export const runEventSearch = (sql: EventSql, scope: SearchScope): Effect.Effect<SearchOutcome, EventStoreError, EventStore> =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const narrowed = narrowScope(scope, sql.filter)
    if (narrowed.tenantIds.length === 0 || narrowed.to < narrowed.from) {
      return sql.aggregated ? { kind: "groups", columns: sql.select, rows: sql.groupBy.length === 0 ? [emptyAggregates(sql.select)] : [] } : { kind: "events", events: [] }
    }
    const base = { ...narrowed, filter: sql.filter }
    if (sql.aggregated) {
      const groups = new GroupTable(sql)
      yield* store.scan({ ...base, order: "asc" }, (events) => groups.add(events))
      if (groups.overflowed) return yield* new EventStoreError({ message: `more than ${MaxGroups} groups: narrow the query or the period` })
      return { kind: "groups", columns: sql.select, rows: groups.rows() }
    }
    const [first, second] = sql.orderBy
    if (first === undefined || (first.name === "Timestamp" && second === undefined)) {
      // Time order is the store's own: it stops reading at the limit.
      const events = yield* store.search({ ...base, order: first?.direction ?? "desc", limit: sql.limit })
      return { kind: "events", events }
    }
    const top = new TopEvents(sql.orderBy, sql.limit)
    yield* store.scan({ ...base, order: "desc" }, (events) => top.add(events))
    return { kind: "events", events: top.result() }
  })

const emptyAggregates = (select: ReadonlyArray<SelectItem>): ReadonlyArray<unknown> =>
  select.map((item) => (item.kind === "aggregate" && item.fn === "count" ? 0 : null))

/** The first `limit` events by arbitrary keys; ties go newest first, then by ID. */
class TopEvents {
  private readonly kept: Array<NormalizedEvent> = []
  private readonly compare: (a: NormalizedEvent, b: NormalizedEvent) => number

  constructor(keys: ReadonlyArray<OrderKey>, private readonly limit: number) {
    const readers = keys.map((key) => ({ read: fieldReader(key.name), direction: key.direction }))
    this.compare = (a, b) => {
      for (const { read, direction } of readers) {
        const x = read(a)
        const y = read(b)
        const order = directed(compareValues(x, y), direction, x, y)
        if (order !== 0) return order
      }
      return b.Timestamp - a.Timestamp || (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0)
    }
  }

  add(events: ReadonlyArray<NormalizedEvent>): boolean {
    for (const event of events) this.kept.push(event)
    // Sorting when twice the limit has gathered keeps memory at O(limit) and work near n log limit.
    if (this.kept.length >= this.limit * 2) this.trim()
    return true
  }

  result(): ReadonlyArray<NormalizedEvent> {
    this.trim()
    return this.kept
  }

  private trim(): void {
    this.kept.sort(this.compare)
    this.kept.length = Math.min(this.kept.length, this.limit)
  }
}

interface Accumulator {
  count: number
  sum: number
  min: Value
  max: Value
}

/** Groups by the GROUP BY values and folds each aggregate as events stream past. */
class GroupTable {
  overflowed = false
  private readonly groups = new Map<string, { readonly values: Array<Value>; readonly accumulators: Array<Accumulator> }>()
  private readonly keyReaders: ReadonlyArray<(event: NormalizedEvent) => Value>
  private readonly aggregates: ReadonlyArray<{ readonly fn: AggregateFunction; readonly read: ((event: NormalizedEvent) => Value) | undefined }>

  constructor(private readonly sql: EventSql) {
    this.keyReaders = sql.groupBy.map(fieldReader)
    this.aggregates = sql.select.flatMap((item) => (item.kind === "aggregate" ? [{ fn: item.fn, read: item.field === undefined ? undefined : fieldReader(item.field) }] : []))
  }

  add(events: ReadonlyArray<NormalizedEvent>): boolean {
    const values: Array<Value> = new Array(this.keyReaders.length)
    for (const event of events) {
      let key = ""
      for (let i = 0; i < this.keyReaders.length; i++) {
        const value = this.keyReaders[i]!(event)
        values[i] = value
        // Typed so that 1 and '1' and a missing value are three groups.
        key += value === undefined ? "\u0000u" : typeof value === "number" ? `\u0000n${value}` : `\u0000s${value}`
      }
      let group = this.groups.get(key)
      if (group === undefined) {
        if (this.groups.size >= MaxGroups) {
          this.overflowed = true
          return false
        }
        group = { values: values.slice(), accumulators: this.aggregates.map(() => ({ count: 0, sum: 0, min: undefined, max: undefined })) }
        this.groups.set(key, group)
      }
      for (let i = 0; i < this.aggregates.length; i++) {
        const { fn, read } = this.aggregates[i]!
        const accumulator = group.accumulators[i]!
        if (read === undefined) {
          accumulator.count++
          continue
        }
        const value = read(event)
        if (value === undefined || value === "") continue
        if ((fn === "sum" || fn === "avg") && typeof value !== "number") continue
        accumulator.count++
        if (typeof value === "number") accumulator.sum += value
        if (accumulator.min === undefined || compareValues(value, accumulator.min) < 0) accumulator.min = value
        if (accumulator.max === undefined || compareValues(value, accumulator.max) > 0) accumulator.max = value
      }
    }
    return true
  }

  rows(): ReadonlyArray<ReadonlyArray<unknown>> {
    const sql = this.sql
    if (this.groups.size === 0 && sql.groupBy.length === 0) return [emptyAggregates(sql.select)]
    const rows = [...this.groups.values()].map((group) => {
      let aggregateIndex = 0
      const cells = sql.select.map((item) => {
        if (item.kind === "field") return group.values[sql.groupBy.indexOf(item.field)] ?? null
        const accumulator = group.accumulators[aggregateIndex++]!
        switch (item.fn) {
          case "count":
            return accumulator.count
          case "sum":
            return accumulator.count === 0 ? null : accumulator.sum
          case "avg":
            return accumulator.count === 0 ? null : accumulator.sum / accumulator.count
          case "min":
            return accumulator.min ?? null
          case "max":
            return accumulator.max ?? null
        }
      })
      return { cells, groupValues: group.values }
    })
    // Sort keys name an output column or a grouped field; without ORDER BY, by the group values.
    const keys =
      sql.orderBy.length > 0
        ? sql.orderBy.map((key) => {
            const column = sql.select.findIndex((item) => item.name === key.name)
            const groupIndex = sql.groupBy.indexOf(key.name)
            return { direction: key.direction, read: (row: (typeof rows)[number]) => (column >= 0 ? row.cells[column] : row.groupValues[groupIndex]) }
          })
        : sql.groupBy.map((_, index) => ({ direction: "asc" as const, read: (row: (typeof rows)[number]) => row.groupValues[index] }))
    rows.sort((a, b) => {
      for (const key of keys) {
        const x = key.read(a)
        const y = key.read(b)
        const order = directed(compareValues(x, y), key.direction, x, y)
        if (order !== 0) return order
      }
      return 0
    })
    return rows.slice(0, sql.limit).map((row) => row.cells)
  }
}
