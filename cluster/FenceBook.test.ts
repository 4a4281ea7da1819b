// Fencing: a record is refused when a newer epoch of its partition wrote to the stream before it;
// partitions and correlators are fenced independently; unfenced records always pass.
import { describe, expect, it } from "@effect/vitest"
import { CorrelatorId } from "../model/Ids.ts"
import { FenceBook } from "./FenceBook.ts"

const soc = CorrelatorId.make("soc")
const other = CorrelatorId.make("other")

describe("FenceBook", () => {
  it("refuses a record of an older epoch written after the newer epoch's first write, and counts it", () => {
    const book = new FenceBook()
    expect(book.admit(soc, { partition: 3, epoch: 10 }, 1)).toBe(true)
    expect(book.admit(soc, { partition: 3, epoch: 10 }, 2)).toBe(true)
    expect(book.admit(soc, { partition: 3, epoch: 12 }, 3)).toBe(true)
    // The paused former owner wakes up and writes: refused.
    expect(book.admit(soc, { partition: 3, epoch: 10 }, 4)).toBe(false)
    expect(book.admit(soc, { partition: 3, epoch: 12 }, 5)).toBe(true)
    expect(book.refused).toBe(1)
  })

  it("admits a redelivered record of the older epoch that was written before the successor began", () => {
    const book = new FenceBook()
    expect(book.admit(soc, { partition: 0, epoch: 12 }, 40)).toBe(true)
    // Written at 35 under epoch 10, first handled now (its first delivery failed): the successor
    // replayed the same correlation, whose copy the stream de-duplicated, so this is the only one.
    expect(book.admit(soc, { partition: 0, epoch: 10 }, 35)).toBe(true)
    expect(book.admit(soc, { partition: 0, epoch: 10 }, 41)).toBe(false)
  })

  it("keeps partitions and correlators apart, and lets unfenced records through", () => {
    const book = new FenceBook()
    book.admit(soc, { partition: 1, epoch: 50 }, 1)
    expect(book.admit(soc, { partition: 2, epoch: 1 }, 2)).toBe(true)
    expect(book.admit(other, { partition: 1, epoch: 1 }, 3)).toBe(true)
    expect(book.admit(soc, undefined, 4)).toBe(true)
  })
})
