// Fencing: a record of an older lease epoch than one already seen for its partition is refused;
// partitions and correlators are fenced independently; unfenced records always pass.
import { describe, expect, it } from "@effect/vitest"
import { CorrelatorId } from "../model/Ids.ts"
import { FenceBook } from "./FenceBook.ts"

const soc = CorrelatorId.make("soc")
const other = CorrelatorId.make("other")

describe("FenceBook", () => {
  it("admits equal and newer epochs, refuses older ones and counts them", () => {
    const book = new FenceBook()
    expect(book.admit(soc, { partition: 3, epoch: 10 })).toBe(true)
    expect(book.admit(soc, { partition: 3, epoch: 10 })).toBe(true)
    expect(book.admit(soc, { partition: 3, epoch: 12 })).toBe(true)
    // The paused former owner wakes up and writes: refused.
    expect(book.admit(soc, { partition: 3, epoch: 10 })).toBe(false)
    expect(book.refused).toBe(1)
  })

  it("keeps partitions and correlators apart, and lets unfenced records through", () => {
    const book = new FenceBook()
    book.admit(soc, { partition: 1, epoch: 50 })
    expect(book.admit(soc, { partition: 2, epoch: 1 })).toBe(true)
    expect(book.admit(other, { partition: 1, epoch: 1 })).toBe(true)
    expect(book.admit(soc, undefined)).toBe(true)
  })

  it("an epoch raised from the lease store fences records that arrive later", () => {
    const book = new FenceBook()
    book.raise(soc, 0, 7)
    expect(book.admit(soc, { partition: 0, epoch: 6 })).toBe(false)
    expect(book.admit(soc, { partition: 0, epoch: 7 })).toBe(true)
    book.raise(soc, 0, 5)
    expect(book.admit(soc, { partition: 0, epoch: 7 })).toBe(true)
  })
})
