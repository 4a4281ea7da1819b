// The agent's record splitter: the records and the offset after each are the same however the
// stream is chunked, an oversize record is skipped without losing its neighbours, and records
// stay bytes (no decoding, no trimming).
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { RecordSplitter } from "./RecordSplitter.ts"

interface Split {
  readonly records: Array<[string, number]>
  readonly oversize: Array<[number, number]>
}

const split = (chunks: ReadonlyArray<Buffer>, delimiter = 0x0a, maxRecordBytes = 1024, startOffset = 0, end = false): Split => {
  const result: Split = { records: [], oversize: [] }
  const splitter = new RecordSplitter(
    delimiter,
    maxRecordBytes,
    { record: (bytes, endOffset) => result.records.push([bytes.toString("latin1"), endOffset]), oversize: (bytes, endOffset) => result.oversize.push([bytes, endOffset]) },
    startOffset
  )
  for (const chunk of chunks) splitter.push(chunk)
  if (end) splitter.end()
  return result
}

/** The definition: every delimiter ends a segment; empty segments are no records; long ones are oversize. */
const reference = (bytes: Buffer, delimiter: number, maxRecordBytes: number, startOffset: number): Split => {
  const result: Split = { records: [], oversize: [] }
  let start = 0
  for (let index = 0; index < bytes.length; index++) {
    if (bytes[index] !== delimiter) continue
    const length = index - start
    if (length > maxRecordBytes) result.oversize.push([length, startOffset + index + 1])
    else if (length > 0) result.records.push([bytes.subarray(start, index).toString("latin1"), startOffset + index + 1])
    start = index + 1
  }
  return result
}

describe("RecordSplitter", () => {
  it("reports the offset just past each record's delimiter, counting from the start offset", () => {
    expect(split([Buffer.from("ab\ncde\n\nf")], 0x0a, 1024, 100)).toEqual({ records: [["ab", 103], ["cde", 107]], oversize: [] })
  })

  it("keeps a record without its delimiter until end(), which emits it at the stream position", () => {
    expect(split([Buffer.from("ab\nrest")])).toEqual({ records: [["ab", 3]], oversize: [] })
    expect(split([Buffer.from("ab\nrest")], 0x0a, 1024, 0, true)).toEqual({ records: [["ab", 3], ["rest", 7]], oversize: [] })
  })

  it("leaves carriage returns and other bytes alone: the collector sees the record as written", () => {
    expect(split([Buffer.from("a\r\n\tb\n")]).records).toEqual([["a\r", 3], ["\tb", 6]])
  })

  it("splits on tab and NUL when they are the delimiter", () => {
    expect(split([Buffer.from("a\nb\tc\t")], 0x09).records).toEqual([["a\nb", 4], ["c", 6]])
    expect(split([Buffer.from("x\ty\0z\0")], 0x00).records).toEqual([["x\ty", 4], ["z", 6]])
  })

  it("skips an oversize record, reports where it ended, and keeps the records around it", () => {
    expect(split([Buffer.from("ok\n0123456789\nok2\n")], 0x0a, 5)).toEqual({ records: [["ok", 3], ["ok2", 18]], oversize: [[10, 14]] })
  })

  it("reset forgets a partial record and continues from the given offset (a truncated file)", () => {
    const records: Array<[string, number]> = []
    const splitter = new RecordSplitter(0x0a, 1024, { record: (bytes, endOffset) => records.push([bytes.toString(), endOffset]), oversize: () => {} })
    splitter.push(Buffer.from("a\npartial"))
    splitter.reset(0)
    splitter.push(Buffer.from("new\n"))
    expect(records).toEqual([["a", 2], ["new", 4]])
  })

  it("any chunking of any bytes gives the records and offsets of the definition", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }).map((array) => Buffer.from(array.map((byte) => (byte % 5 === 0 ? 0x0a : byte)))),
        fc.array(fc.nat({ max: 300 }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 40 }),
        fc.nat({ max: 1_000_000 }),
        (bytes, cuts, maxRecordBytes, startOffset) => {
          const offsets = [...new Set(cuts.map((cut) => Math.min(cut, bytes.length)))].sort((a, b) => a - b)
          const chunks: Array<Buffer> = []
          let start = 0
          for (const cut of offsets) {
            chunks.push(bytes.subarray(start, cut))
            start = cut
          }
          chunks.push(bytes.subarray(start))
          expect(split(chunks, 0x0a, maxRecordBytes, startOffset)).toEqual(reference(bytes, 0x0a, maxRecordBytes, startOffset))
        }
      ),
      { numRuns: 500 }
    )
  })
})
