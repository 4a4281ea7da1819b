// The record framer: records are the same however the stream is chunked, each delimiter works,
// CRLF and empty records are handled, and an oversize record is dropped and counted without
// losing the records after it.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { RecordFramer } from "./RecordFramer.ts"

/** 100,000 cases take 2-5 s on two cores; the margin covers a loaded machine, not slower code. */
const FuzzTimeoutMs = 30_000

const Newline = 0x0a
const Tab = 0x09
const Nul = 0x00

interface Framed {
  readonly records: Array<string>
  readonly oversize: Array<number>
}

/** Feeds the chunks, then ends the stream; returns what the sink saw. */
const frame = (chunks: ReadonlyArray<Buffer | string>, delimiter = Newline, maxRecordBytes = 1024): Framed => {
  const framed: Framed = { records: [], oversize: [] }
  const framer = new RecordFramer(delimiter, maxRecordBytes, {
    record: (text) => framed.records.push(text),
    oversize: (bytes) => framed.oversize.push(bytes)
  })
  for (const chunk of chunks) framer.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk)
  framer.end()
  return framed
}

/** Splits `bytes` at the given offsets. */
const splitAt = (bytes: Buffer, offsets: ReadonlyArray<number>): Array<Buffer> => {
  const cuts = [...new Set(offsets.map((offset) => Math.min(offset, bytes.length)))].sort((a, b) => a - b)
  const chunks: Array<Buffer> = []
  let start = 0
  for (const cut of cuts) {
    chunks.push(bytes.subarray(start, cut))
    start = cut
  }
  chunks.push(bytes.subarray(start))
  return chunks
}

describe("RecordFramer delimiters", () => {
  it("splits on newline and emits each record once", () => {
    expect(frame(["first\nsecond\nthird\n"])).toEqual({ records: ["first", "second", "third"], oversize: [] })
  })

  it("splits on tab when tab is the delimiter, leaving newlines inside records", () => {
    expect(frame(["a\nb\tc\t"], Tab).records).toEqual(["a\nb", "c"])
  })

  it("splits on NUL when NUL is the delimiter, leaving newlines and tabs inside records", () => {
    expect(frame(["line 1\nline 2\0x\ty\0"], Nul).records).toEqual(["line 1\nline 2", "x\ty"])
  })

  it("emits records as soon as their delimiter arrives, before end()", () => {
    const records: Array<string> = []
    const framer = new RecordFramer(Newline, 1024, { record: (text) => records.push(text), oversize: () => {} })
    framer.push(Buffer.from("a\nb"))
    expect(records).toEqual(["a"])
    framer.push(Buffer.from("c\n"))
    expect(records).toEqual(["a", "bc"])
  })
})

describe("RecordFramer record boundaries", () => {
  it("strips one trailing CR of a CRLF-terminated record and keeps inner CRs", () => {
    expect(frame(["a\r\nb\r\n"]).records).toEqual(["a", "b"])
    expect(frame(["a\rb\n"]).records).toEqual(["a\rb"])
    expect(frame(["a\r\r\n"]).records).toEqual(["a\r"])
  })

  it("strips the CR even when the CR and LF arrive in different chunks", () => {
    expect(frame(["a\r", "\nb\r", "\n"]).records).toEqual(["a", "b"])
  })

  it("skips empty records and records that are only a CR, but keeps whitespace-only records", () => {
    expect(frame(["\n\nx\n\n\r\n \n"]).records).toEqual(["x", " "])
  })

  it("emits the last record without a delimiter on end()", () => {
    const records: Array<string> = []
    const framer = new RecordFramer(Newline, 1024, { record: (text) => records.push(text), oversize: () => {} })
    framer.push(Buffer.from("a\nlast"))
    expect(records).toEqual(["a"])
    framer.end()
    expect(records).toEqual(["a", "last"])
    framer.end()
    expect(records).toEqual(["a", "last"])
  })

  it("end() on a stream that ended with a delimiter emits nothing more", () => {
    expect(frame(["a\n"]).records).toEqual(["a"])
    expect(frame([]).records).toEqual([])
  })

  it("reassembles a record whose multi-byte UTF-8 characters are split between chunks", () => {
    const text = "héllo € 𝄞 мир"
    const bytes = Buffer.from(`${text}\n`, "utf8")
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(frame([bytes.subarray(0, cut), bytes.subarray(cut)]).records, `cut at ${cut}`).toEqual([text])
    }
    expect(frame([...bytes].map((byte) => Buffer.from([byte]))).records).toEqual([text])
  })
})

describe("RecordFramer record limit", () => {
  it("a record of exactly the limit is kept and one byte more is dropped and counted", () => {
    expect(frame(["abcde\n"], Newline, 5)).toEqual({ records: ["abcde"], oversize: [] })
    expect(frame(["abcdef\n"], Newline, 5)).toEqual({ records: [], oversize: [6] })
  })

  it("the limit counts bytes, not characters", () => {
    expect(frame(["ééé\n"], Newline, 5)).toEqual({ records: [], oversize: [6] })
    expect(frame(["éé\n"], Newline, 5)).toEqual({ records: ["éé"], oversize: [] })
  })

  it("recovers at the next delimiter: the records before and after an oversize one are intact", () => {
    expect(frame(["ok1\nabcdefghij\nok2\nok3\n"], Newline, 5)).toEqual({ records: ["ok1", "ok2", "ok3"], oversize: [10] })
  })

  it("an oversize record spread over many chunks is counted once with its full size", () => {
    expect(frame(["ok1\nabc", "def", "ghi", "jkl\nok2\n"], Newline, 5)).toEqual({ records: ["ok1", "ok2"], oversize: [12] })
  })

  it("an oversize record cut short by end() is still counted", () => {
    expect(frame(["ok\nabcdefgh"], Newline, 5)).toEqual({ records: ["ok"], oversize: [8] })
  })

  it("consecutive oversize records are each counted", () => {
    expect(frame(["aaaaaa\nbbbbbbb\nc\n"], Newline, 5)).toEqual({ records: ["c"], oversize: [6, 7] })
  })

  it("never holds more than the limit while discarding a huge record", () => {
    const records: Array<string> = []
    const oversize: Array<number> = []
    const framer = new RecordFramer(Newline, 16, { record: (text) => records.push(text), oversize: (bytes) => oversize.push(bytes) })
    const block = Buffer.alloc(64 * 1024, 0x61)
    for (let i = 0; i < 64; i++) framer.push(block)
    framer.push(Buffer.from("\nafter\n"))
    expect(oversize).toEqual([64 * 64 * 1024])
    expect(records).toEqual(["after"])
  })
})

/** What the framer must emit for `text`, written out from the definition of a record. */
const referenceFrame = (text: string, delimiter: string, maxRecordBytes: number): Framed => {
  const framed: Framed = { records: [], oversize: [] }
  for (const segment of text.split(delimiter)) {
    const bytes = Buffer.byteLength(segment, "utf8")
    if (bytes > maxRecordBytes) framed.oversize.push(bytes)
    else {
      const record = segment.endsWith("\r") ? segment.slice(0, -1) : segment
      if (record !== "") framed.records.push(record)
    }
  }
  return framed
}

describe("RecordFramer properties", () => {
  const delimiterArbitrary = fc.constantFrom("\n", "\t", "\0")
  const pieceArbitrary = fc.oneof(
    fc.string({ unit: "grapheme", maxLength: 12 }),
    fc.constantFrom("\r", "\n", "\t", "\0", "é", "€", "𝄞", "", "ab")
  )

  it("any chunking of a stream yields the records and oversize counts of the reference", () => {
    fc.assert(
      fc.property(
        delimiterArbitrary,
        fc.array(pieceArbitrary, { maxLength: 20 }),
        fc.integer({ min: 1, max: 24 }),
        fc.array(fc.nat({ max: 300 }), { maxLength: 12 }),
        (delimiter, pieces, maxRecordBytes, offsets) => {
          const text = pieces.join("")
          const bytes = Buffer.from(text, "utf8")
          const framed = frame(splitAt(bytes, offsets), delimiter.charCodeAt(0), maxRecordBytes)
          expect(framed).toEqual(referenceFrame(text, delimiter, maxRecordBytes))
        }
      ),
      { numRuns: 1000 }
    )
  })

  it("any chunking of arbitrary bytes yields the same output as one chunk", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }).map((array) => Buffer.from(array.map((byte) => (byte % 7 === 0 ? Newline : byte)))),
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.nat({ max: 200 }), { maxLength: 20 }),
        (bytes, maxRecordBytes, offsets) => {
          expect(frame(splitAt(bytes, offsets), Newline, maxRecordBytes)).toEqual(frame([bytes], Newline, maxRecordBytes))
        }
      ),
      { numRuns: 1000 }
    )
  })
})

/** Splits raw bytes by the definition of a record: the reference for arbitrary (non-UTF-8) input. */
const referenceFrameBytes = (bytes: Buffer, delimiter: number, maxRecordBytes: number): Framed => {
  const framed: Framed = { records: [], oversize: [] }
  let start = 0
  while (start <= bytes.length) {
    const found = bytes.indexOf(delimiter, start)
    const end = found === -1 ? bytes.length : found
    const segment = bytes.subarray(start, end)
    if (segment.length > maxRecordBytes) framed.oversize.push(segment.length)
    else {
      const record = segment[segment.length - 1] === 0x0d ? segment.subarray(0, segment.length - 1) : segment
      if (record.length > 0) framed.records.push(record.toString("utf8"))
    }
    if (found === -1) break
    start = found + 1
  }
  return framed
}

describe("RecordFramer fuzzing", () => {
  // Bytes biased towards the delimiters and CR so that short inputs still hit every branch.
  const byteArbitrary = fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 255 }) },
    { weight: 2, arbitrary: fc.constantFrom(Newline, Tab, Nul, 0x0d, 0x61) }
  )

  it("over 100,000 arbitrary byte streams and chunkings: no exception, held bytes within the limit, every byte accounted for, output as the reference", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(Newline, Tab, Nul),
        fc.array(byteArbitrary, { maxLength: 48 }),
        fc.integer({ min: 1, max: 16 }),
        fc.array(fc.nat({ max: 48 }), { maxLength: 6 }),
        (delimiter, byteValues, maxRecordBytes, offsets) => {
          const bytes = Buffer.from(byteValues)
          const framed: Framed = { records: [], oversize: [] }
          const framer = new RecordFramer(delimiter, maxRecordBytes, {
            record: (text) => framed.records.push(text),
            oversize: (size) => framed.oversize.push(size)
          })
          for (const chunk of splitAt(bytes, offsets)) {
            framer.push(chunk)
            if (framer.heldBytes > maxRecordBytes) throw new Error(`held ${framer.heldBytes} bytes over the ${maxRecordBytes}-byte limit`)
          }
          framer.end()
          const { recordBytes, discardedBytes, framingBytes } = framer.tally
          if (recordBytes + discardedBytes + framingBytes !== bytes.length)
            throw new Error(`accounted ${recordBytes}+${discardedBytes}+${framingBytes} of ${bytes.length} bytes`)
          expect(framed).toEqual(referenceFrameBytes(bytes, delimiter, maxRecordBytes))
        }
      ),
      { numRuns: 100_000 }
    )
  }, FuzzTimeoutMs)
})
