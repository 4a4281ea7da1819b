// The syslog framer: both RFC 6587 framings detected per message and mixed freely, oversize
// frames skipped exactly, a bad length prefix counted and resynchronized at the next LF, and,
// under fuzzing, output identical to a whole-buffer reference parser whatever the chunking.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { SyslogFramer } from "./SyslogFramer.ts"

/** 100,000 cases take 2-5 s on two cores; the margin covers a loaded machine, not slower code. */
const FuzzTimeoutMs = 30_000

interface Framed {
  readonly records: Array<string>
  readonly oversize: Array<number>
  /** skippedBytes of each invalid frame. */
  readonly invalid: Array<number>
}

const framerFor = (maxRecordBytes: number) => {
  const framed: Framed = { records: [], oversize: [], invalid: [] }
  const messages: Array<string> = []
  const framer = new SyslogFramer(maxRecordBytes, {
    record: (text) => framed.records.push(text),
    oversize: (bytes) => framed.oversize.push(bytes),
    invalidFrame: (error) => {
      framed.invalid.push(error.skippedBytes)
      messages.push(error.message)
    }
  })
  return { framer, framed, messages }
}

const frame = (chunks: ReadonlyArray<Buffer | string>, maxRecordBytes = 1024): Framed & { messages: Array<string> } => {
  const { framer, framed, messages } = framerFor(maxRecordBytes)
  for (const chunk of chunks) framer.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk)
  framer.end()
  return { ...framed, messages }
}

const octet = (message: string): string => `${Buffer.byteLength(message, "utf8")} ${message}`

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

const rfc5424 = "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8"
const rfc3164 = "<13>Oct 11 22:14:15 mymachine su: 'su root' failed"

describe("SyslogFramer framings", () => {
  it("reads octet-counted frames back to back, a frame may contain LF", () => {
    expect(frame([octet(rfc5424) + octet("<13>1 - - - - - - line one\nline two")]).records).toEqual([rfc5424, "<13>1 - - - - - - line one\nline two"])
  })

  it("reads non-transparent LF-terminated messages and strips CRLF", () => {
    expect(frame([`${rfc3164}\n${rfc5424}\r\n`]).records).toEqual([rfc3164, rfc5424])
  })

  it("detects the framing per message, so a stream may mix both", () => {
    expect(frame([`${octet(rfc5424)}${rfc3164}\n${octet("<1>x")}\n<2>y\n`]).records).toEqual([rfc5424, rfc3164, "<1>x", "<2>y"])
  })

  it("drops one trailing LF or CRLF counted into a frame", () => {
    expect(frame([octet("<1>a\n") + octet("<1>b\r\n")]).records).toEqual(["<1>a", "<1>b"])
  })

  it("yields the same messages however the stream is chunked, down to single bytes", () => {
    const stream = Buffer.from(`${octet(rfc5424)}${rfc3164}\n${octet("<5>é€𝄞")}`, "utf8")
    const expected = [rfc5424, rfc3164, "<5>é€𝄞"]
    expect(frame([...stream].map((byte) => Buffer.from([byte]))).records).toEqual(expected)
    for (let cut = 1; cut < stream.length; cut++) expect(frame([stream.subarray(0, cut), stream.subarray(cut)]).records).toEqual(expected)
  })

  it("emits a last LF-less message when the stream ends", () => {
    expect(frame(["<1>a\n<1>last"]).records).toEqual(["<1>a", "<1>last"])
  })
})

describe("SyslogFramer limits and bad frames", () => {
  it("an octet-counted frame over the limit is skipped by its length and counted; the next frame is intact", () => {
    expect(frame([octet("<1>abcdefghijkl") + octet("<1>ok")], 8)).toMatchObject({ records: ["<1>ok"], oversize: [15], invalid: [] })
  })

  it("an LF-terminated message over the limit is counted and the stream recovers at the LF", () => {
    expect(frame(["<1>abcdefghijkl\n<1>ok\n"], 8)).toMatchObject({ records: ["<1>ok"], oversize: [15], invalid: [] })
  })

  it("a length prefix not followed by a space is counted and the framer resynchronizes at the next LF", () => {
    const framed = frame([`12a garbage\n${rfc3164}\n${octet("<1>next")}`])
    expect(framed.records).toEqual([rfc3164, "<1>next"])
    expect(framed.invalid).toEqual([11])
    expect(framed.messages[0]).toMatch(/length prefix "12a" is not followed by a space; 11 bytes skipped to the next LF/)
  })

  it("a length prefix with a leading zero or more than 8 digits is counted", () => {
    expect(frame(["05 <1>hello\n<1>ok\n"])).toMatchObject({ records: ["<1>ok"], invalid: [11] })
    expect(frame(["123456789 <1>x\n<1>ok\n"])).toMatchObject({ records: ["<1>ok"], invalid: [14] })
    expect(frame(["05 x\n"]).messages[0]).toMatch(/starts with 0/)
    expect(frame(["123456789 x\n"]).messages[0]).toMatch(/longer than 8 digits/)
  })

  it("a length prefix ended by LF resynchronizes right after it", () => {
    expect(frame(["42\n<1>ok\n"])).toMatchObject({ records: ["<1>ok"], invalid: [2] })
  })

  it("a stream ending inside a prefix or a frame counts the cut-off message", () => {
    expect(frame(["<1>a\n12"])).toMatchObject({ records: ["<1>a"], invalid: [2] })
    expect(frame(["10 <1>abc"])).toMatchObject({ records: [], invalid: [6] })
    expect(frame(["10 <1>abc"]).messages[0]).toMatch(/ended 4 bytes short of a 10-byte frame/)
  })

  it("never holds more than the limit while skipping a huge oversize frame", () => {
    const { framer, framed } = framerFor(16)
    framer.push(Buffer.from("99999999 "))
    const block = Buffer.alloc(64 * 1024, 0x61)
    for (let sent = 0; sent + block.length <= 99_999_999; sent += block.length) {
      framer.push(block)
      expect(framer.heldBytes).toBe(0)
    }
    framer.push(Buffer.alloc(99_999_999 % block.length, 0x61))
    framer.push(Buffer.from(octet("<1>after")))
    framer.end()
    expect(framed).toEqual({ records: ["<1>after"], oversize: [99_999_999], invalid: [] })
  })
})

const isDigit = (byte: number | undefined): boolean => byte !== undefined && byte >= 0x30 && byte <= 0x39

/** The framings as RFC 6587 and the framer's documented recovery define them, over the whole input at once. */
const referenceFrame = (bytes: Buffer, maxRecordBytes: number): Framed => {
  const framed: Framed = { records: [], oversize: [], invalid: [] }
  const emit = (segment: Buffer) => {
    if (segment.length > 0) framed.records.push(segment.toString("utf8"))
  }
  let position = 0
  while (position < bytes.length) {
    if (!isDigit(bytes[position])) {
      const lineFeed = bytes.indexOf(0x0a, position)
      const end = lineFeed === -1 ? bytes.length : lineFeed
      const segment = bytes.subarray(position, end)
      if (segment.length > maxRecordBytes) framed.oversize.push(segment.length)
      else emit(segment[segment.length - 1] === 0x0d ? segment.subarray(0, -1) : segment)
      position = end + 1
      continue
    }
    let cursor = position
    let length = 0
    while (cursor < bytes.length && isDigit(bytes[cursor]) && cursor - position < 8 && !(cursor === position && bytes[cursor] === 0x30)) {
      length = length * 10 + (bytes[cursor]! - 0x30)
      cursor++
    }
    const digits = cursor - position
    if (cursor === bytes.length) {
      framed.invalid.push(digits)
      break
    }
    if (bytes[cursor] === 0x20 && digits > 0) {
      const start = cursor + 1
      if (length > maxRecordBytes) {
        framed.oversize.push(length)
        position = start + length
        continue
      }
      if (start + length > bytes.length) {
        framed.invalid.push(bytes.length - start)
        break
      }
      let message = bytes.subarray(start, start + length)
      if (message[message.length - 1] === 0x0a) {
        message = message.subarray(0, -1)
        if (message[message.length - 1] === 0x0d) message = message.subarray(0, -1)
      }
      emit(message)
      position = start + length
      continue
    }
    if (bytes[cursor] === 0x0a) {
      framed.invalid.push(digits)
      position = cursor + 1
      continue
    }
    const lineFeed = bytes.indexOf(0x0a, cursor + 1)
    framed.invalid.push((lineFeed === -1 ? bytes.length : lineFeed) - position)
    position = lineFeed === -1 ? bytes.length : lineFeed + 1
  }
  return framed
}

describe("SyslogFramer fuzzing", () => {
  // Streams built from pieces that exercise every state: true frames, frames with lying lengths,
  // lines, prefixes, and raw bytes biased towards digits, spaces, LF and CR.
  const pieceArbitrary = fc.oneof(
    fc.string({ maxLength: 10 }).map((message) => Buffer.from(octet(`<1>${message}`), "utf8")),
    fc.tuple(fc.nat({ max: 30 }), fc.uint8Array({ maxLength: 12 })).map(([length, body]) => Buffer.concat([Buffer.from(`${length} `), body])),
    fc.string({ maxLength: 12 }).map((line) => Buffer.from(`<2>${line}\n`, "utf8")),
    fc.constantFrom("\n", "\r\n", " ", "0", "9", "12", "123456789", "99999999 ", "5 ").map((text) => Buffer.from(text)),
    fc.uint8Array({ maxLength: 8 }).map((array) => Buffer.from(array))
  )

  it("over 100,000 arbitrary streams and chunkings: no exception, held bytes within the limit, every byte accounted for, output as the reference", () => {
    fc.assert(
      fc.property(
        fc.array(pieceArbitrary, { maxLength: 6 }),
        fc.integer({ min: 1, max: 24 }),
        fc.array(fc.nat({ max: 80 }), { maxLength: 6 }),
        (pieces, maxRecordBytes, offsets) => {
          const bytes = Buffer.concat(pieces)
          const { framer, framed } = framerFor(maxRecordBytes)
          for (const chunk of splitAt(bytes, offsets)) {
            framer.push(chunk)
            if (framer.heldBytes > maxRecordBytes) throw new Error(`held ${framer.heldBytes} bytes over the ${maxRecordBytes}-byte limit`)
          }
          framer.end()
          const { recordBytes, discardedBytes, framingBytes } = framer.tally
          // An oversize frame cut short by the end of the stream discards only the bytes that came.
          if (recordBytes + discardedBytes + framingBytes !== bytes.length)
            throw new Error(`accounted ${recordBytes}+${discardedBytes}+${framingBytes} of ${bytes.length} bytes`)
          expect(framed).toEqual(referenceFrame(bytes, maxRecordBytes))
        }
      ),
      { numRuns: 100_000 }
    )
  }, FuzzTimeoutMs)
})
