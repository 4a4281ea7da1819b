// DeadlineQueue against a plain model: buckets opened in time order (the ring) or late (the heap),
// closed early and their slots reused, always yield the live bucket with the least (start, seq).
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { DeadlineQueue } from "./DeadlineQueue.ts"

type Operation = { readonly op: "open"; readonly step: number } | { readonly op: "close"; readonly pick: number } | { readonly op: "expire" }

const operation: fc.Arbitrary<Operation> = fc.oneof(
  // Mostly forward in time, sometimes equal, sometimes late.
  { weight: 5, arbitrary: fc.record({ op: fc.constant("open" as const), step: fc.constantFrom(0, 1, 5, 100, -3, -50) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("close" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("expire" as const) }) }
)

describe("DeadlineQueue", () => {
  it("always yields the live bucket with the least window start, ties by opening order", () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 1_500, size: "max" }), (operations) => {
        const start = new Float64Array(4_096)
        const seq = new Float64Array(4_096)
        const generation = new Uint32Array(4_096)
        const queue = new DeadlineQueue((slot) => start[slot]!, (slot) => seq[slot]!, (slot) => generation[slot]!)
        const live = new Set<number>()
        const free: Array<number> = []
        let used = 0
        let time = 0
        let opened = 0
        const expected = (): number => {
          let best = -1
          for (const slot of live) if (best < 0 || start[slot]! < start[best]! || (start[slot] === start[best] && seq[slot]! < seq[best]!)) best = slot
          return best
        }
        const close = (slot: number) => {
          queue.remove(slot)
          generation[slot]!++
          live.delete(slot)
          free.push(slot)
        }
        for (const step of operations) {
          if (step.op === "open") {
            const slot = free.length > 0 ? free.pop()! : used++
            // A late bucket starts before the newest one; the clock itself never goes back.
            if (step.step >= 0) time += step.step
            start[slot] = step.step < 0 ? time + step.step : time
            seq[slot] = opened++
            live.add(slot)
            queue.add(slot)
          } else if (step.op === "close") {
            if (live.size > 0) close([...live][step.pick % live.size]!)
          } else {
            const first = queue.first()
            expect(first).toBe(expected())
            if (first >= 0) close(first)
          }
          expect(queue.first()).toBe(expected())
        }
        while (live.size > 0) {
          const first = queue.first()
          expect(first).toBe(expected())
          close(first)
        }
        expect(queue.first()).toBe(-1)
      }),
      { numRuns: 150 }
    )
  })
})
