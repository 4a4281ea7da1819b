// IndexedHeap against a plain model (a map of item -> key, minimum found by a scan): push, pop,
// remove and re-key in any order keep the same first entry, size and membership.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { IndexedHeap } from "./IndexedHeap.ts"

type Operation =
  | { readonly op: "push"; readonly item: number; readonly key: number }
  | { readonly op: "pop" }
  | { readonly op: "remove"; readonly item: number }
  | { readonly op: "update"; readonly item: number; readonly key: number }
  | { readonly op: "clear" }

// Items go past the heap's initial 256 positions; keys collide often, so ties (by item) matter.
const item = fc.nat({ max: 600 })
const key = fc.integer({ min: -20, max: 20 })
const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant("push" as const), item, key }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("pop" as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("remove" as const), item }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("update" as const), item, key }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("clear" as const) }) }
)

/** The first item of the model: least key, then least item. */
const first = (model: ReadonlyMap<number, number>): number => {
  let best = -1
  for (const [candidate, candidateKey] of model) {
    if (best < 0 || candidateKey < model.get(best)! || (candidateKey === model.get(best)! && candidate < best)) best = candidate
  }
  return best
}

const heapWithKeys = () => {
  const keys = new Float64Array(1_024)
  const heap = new IndexedHeap((a, b) => (keys[a] !== keys[b] ? keys[a]! < keys[b]! : a < b))
  return { keys, heap }
}

describe("IndexedHeap", () => {
  it("behaves like a sorted model under random push, pop, remove, update and clear", () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 400, size: "max" }), (operations) => {
        const { keys, heap } = heapWithKeys()
        const model = new Map<number, number>()
        for (const step of operations) {
          switch (step.op) {
            case "push":
              // Pushing an item already in the heap is outside the contract: re-key it instead.
              keys[step.item] = step.key
              if (heap.has(step.item)) heap.update(step.item)
              else heap.push(step.item)
              model.set(step.item, step.key)
              break
            case "pop": {
              const expected = first(model)
              expect(heap.pop()).toBe(expected)
              model.delete(expected)
              break
            }
            case "remove":
              heap.remove(step.item)
              model.delete(step.item)
              break
            case "update":
              keys[step.item] = step.key
              heap.update(step.item)
              if (model.has(step.item)) model.set(step.item, step.key)
              break
            case "clear":
              heap.clear()
              model.clear()
              break
          }
          expect(heap.size).toBe(model.size)
          expect(heap.peek()).toBe(first(model))
        }
        for (let candidate = 0; candidate <= 600; candidate++) expect(heap.has(candidate)).toBe(model.has(candidate))
      }),
      { numRuns: 200 }
    )
  })

  it("pops everything in key order, ties by item", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.record({ item, key }), { selector: (entry) => entry.item, maxLength: 500, size: "max" }), (entries) => {
        const { keys, heap } = heapWithKeys()
        for (const entry of entries) {
          keys[entry.item] = entry.key
          heap.push(entry.item)
        }
        const popped: Array<number> = []
        for (let next = heap.pop(); next >= 0; next = heap.pop()) popped.push(next)
        const sorted = [...entries].sort((a, b) => a.key - b.key || a.item - b.item).map((entry) => entry.item)
        expect(popped).toEqual(sorted)
        expect(heap.size).toBe(0)
      }),
      { numRuns: 100 }
    )
  })

  it("answers -1 when empty, and ignores remove and update of an absent item", () => {
    const { heap } = heapWithKeys()
    expect([heap.peek(), heap.pop(), heap.size]).toEqual([-1, -1, 0])
    heap.remove(5)
    heap.update(5)
    expect(heap.has(5)).toBe(false)
    expect(heap.has(100_000)).toBe(false)
    expect(heap.byteSize).toBeGreaterThan(0)
  })
})
