// Failover order: the first address first, the next one in order on each failure, wrapping
// around; a full round of failures pauses, longer after each round, capped; success resets it.
import { describe, expect, it } from "@effect/vitest"
import { FailoverCursor } from "./FailoverCursor.ts"

describe("FailoverCursor", () => {
  it("starts at the first address and moves to the next in order on each failure, wrapping around", () => {
    const cursor = new FailoverCursor(3)
    const visited = [cursor.current]
    for (let index = 0; index < 6; index++) {
      cursor.failed()
      visited.push(cursor.current)
    }
    expect(visited).toEqual([0, 1, 2, 0, 1, 2, 0])
  })

  it("pauses only after every address failed in a row, doubling each round up to the maximum", () => {
    const cursor = new FailoverCursor(2, { baseMillis: 100, maxMillis: 350 })
    expect([cursor.failed(), cursor.failed(), cursor.failed(), cursor.failed(), cursor.failed(), cursor.failed(), cursor.failed(), cursor.failed()]).toEqual([
      0, 100, 0, 200, 0, 350, 0, 350
    ])
  })

  it("stays on a working address and, after it fails, goes on to the next one (no return to the first)", () => {
    const cursor = new FailoverCursor(3, { baseMillis: 100, maxMillis: 1_000 })
    cursor.failed()
    cursor.connected()
    expect(cursor.current).toBe(1)
    expect(cursor.failed()).toBe(0)
    expect(cursor.current).toBe(2)
    expect(cursor.failed()).toBe(0)
    expect(cursor.failed()).toBe(100)
    expect(cursor.current).toBe(1)
  })

  it("with one address, each failure retries it after a growing pause", () => {
    const cursor = new FailoverCursor(1, { baseMillis: 10, maxMillis: 40 })
    expect([cursor.failed(), cursor.failed(), cursor.failed(), cursor.failed()]).toEqual([10, 20, 40, 40])
    expect(cursor.current).toBe(0)
  })
})
