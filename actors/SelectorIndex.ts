// The rule index: selectors whose filter pins a field to constants (`Field = c`, `Field in (…)`,
// alone or inside a top-level AND) are found by a map lookup on that field's value; only the
// rest are tried on every event. The per-event cost then follows the selectors an event can
// match, not the number of rules.
import { EventFieldKinds, isEventFieldName, type EventFieldName, type NormalizedEvent } from "../model/Event.ts"
import type { Filter } from "../model/Filter.ts"

const NumericText = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/

type Key = string | number

/** The field and keys an indexable filter pins, if any. */
const pinnedBy = (filter: Filter): { field: EventFieldName; values: ReadonlyArray<string | number> } | undefined => {
  if ("and" in filter) {
    for (const part of filter.and) {
      const pinned = pinnedBy(part)
      if (pinned !== undefined) return pinned
    }
    return undefined
  }
  if (!("op" in filter) || !("field" in filter) || !isEventFieldName(filter.field)) return undefined
  // List and map fields match element-wise: they are evaluated, never looked up.
  const kind = EventFieldKinds[filter.field]
  if (kind !== "string" && kind !== "integer" && kind !== "number") return undefined
  if (filter.op === "=" && (typeof filter.value === "string" || typeof filter.value === "number")) return { field: filter.field, values: [filter.value] }
  if (filter.op === "in") return { field: filter.field, values: filter.values }
  return undefined
}

/** The map key a constant has for a field, or undefined when no event value can equal it. */
const keyFor = (field: EventFieldName, value: string | number): Key | undefined => {
  const kind = EventFieldKinds[field]
  if (kind === "integer" || kind === "number") {
    if (typeof value === "number") return value
    return NumericText.test(value) ? Number(value) : undefined
  }
  if (kind === "string") return String(value)
  return undefined
}

export class SelectorIndex {
  private readonly fields: Array<EventFieldName> = []
  private readonly maps: Array<Map<Key, Array<number>>> = []
  private readonly always: Array<number> = []
  private buffer = new Int32Array(64)

  /** `selectors[i]` is the filter of selector ordinal i; ordinals give the evaluation order. */
  constructor(selectors: ReadonlyArray<Filter>) {
    selectors.forEach((filter, ordinal) => {
      const pinned = pinnedBy(filter)
      if (pinned === undefined) {
        this.always.push(ordinal)
        return
      }
      let at = this.fields.indexOf(pinned.field)
      if (at < 0) {
        at = this.fields.length
        this.fields.push(pinned.field)
        this.maps.push(new Map())
      }
      const map = this.maps[at]!
      for (const value of new Set(pinned.values)) {
        const key = keyFor(pinned.field, value)
        if (key === undefined) continue
        const list = map.get(key)
        if (list === undefined) map.set(key, [ordinal])
        else if (list[list.length - 1] !== ordinal) list.push(ordinal)
      }
    })
  }

  /** Fills `candidates()` with the ordinals worth evaluating for `event`, ascending; returns how many. */
  collect(event: NormalizedEvent): number {
    let count = 0
    const always = this.always
    for (let i = 0; i < always.length; i++) count = this.add(count, always[i]!)
    const fields = this.fields
    for (let f = 0; f < fields.length; f++) {
      const value = event[fields[f]!]
      if (value === undefined) continue
      const list = this.maps[f]!.get(value as Key)
      if (list === undefined) continue
      for (let i = 0; i < list.length; i++) count = this.add(count, list[i]!)
    }
    // Few candidates come from lookups; an insertion sort keeps them in ordinal order.
    const buffer = this.buffer
    for (let i = always.length; i < count; i++) {
      const value = buffer[i]!
      let j = i - 1
      while (j >= 0 && buffer[j]! > value) {
        buffer[j + 1] = buffer[j]!
        j--
      }
      buffer[j + 1] = value
    }
    return count
  }

  /** The buffer `collect` filled; valid until the next call. */
  candidates(): Int32Array {
    return this.buffer
  }

  private add(count: number, ordinal: number): number {
    if (count === this.buffer.length) {
      const wider = new Int32Array(this.buffer.length * 2)
      wider.set(this.buffer)
      this.buffer = wider
    }
    this.buffer[count] = ordinal
    return count + 1
  }
}
