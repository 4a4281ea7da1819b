// HTTP body handling without sockets: splitting a body into records (fuzzed against the
// definition of a record) and decoding gzip with the decoded size bounded.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { gzipSync } from "node:zlib"
import { decodeBody, type DecodedBody } from "./decodeBody.ts"
import { splitBody } from "./splitBody.ts"

/** 100,000 cases take 2-5 s on two cores; the margin covers a loaded machine, not slower code. */
const FuzzTimeoutMs = 30_000

interface Split {
  readonly records: Array<string>
  readonly oversize: Array<number>
}

const split = (body: Buffer, delimiter: number, maxRecordBytes: number) => {
  const result: Split = { records: [], oversize: [] }
  const tally = splitBody(body, delimiter, maxRecordBytes, { record: (text) => result.records.push(text), oversize: (bytes) => result.oversize.push(bytes) })
  return { result, tally }
}

/** Records by definition: delimiter-separated segments, one trailing CR dropped, empty ones skipped. */
const reference = (body: Buffer, delimiter: number, maxRecordBytes: number): Split => {
  const result: Split = { records: [], oversize: [] }
  let start = 0
  for (;;) {
    const found = body.indexOf(delimiter, start)
    const segment = body.subarray(start, found === -1 ? body.length : found)
    if (segment.length > maxRecordBytes) result.oversize.push(segment.length)
    else {
      const record = segment[segment.length - 1] === 0x0d ? segment.subarray(0, -1) : segment
      if (record.length > 0) result.records.push(record.toString("utf8"))
    }
    if (found === -1) return result
    start = found + 1
  }
}

const decode = (body: Buffer, encoding: string, maxBytes: number): Promise<DecodedBody> =>
  new Promise((resolve) => decodeBody(body, encoding, maxBytes, resolve))

describe("splitBody", () => {
  it("splits a body, the last record needing no delimiter", () => {
    expect(split(Buffer.from("a\nb\r\n\nc"), 0x0a, 100).result).toEqual({ records: ["a", "b", "c"], oversize: [] })
  })

  it("over 100,000 arbitrary bodies: no exception, every byte accounted for, records as defined", () => {
    const byteArbitrary = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 255 }) }, { weight: 2, arbitrary: fc.constantFrom(0x0a, 0x09, 0x00, 0x0d) })
    fc.assert(
      fc.property(fc.constantFrom(0x0a, 0x09, 0x00), fc.array(byteArbitrary, { maxLength: 48 }), fc.integer({ min: 1, max: 16 }), (delimiter, bytes, maxRecordBytes) => {
        const body = Buffer.from(bytes)
        const { result, tally } = split(body, delimiter, maxRecordBytes)
        if (tally.recordBytes + tally.discardedBytes + tally.framingBytes !== body.length) throw new Error(`bytes unaccounted: ${JSON.stringify(tally)} of ${body.length}`)
        expect(result).toEqual(reference(body, delimiter, maxRecordBytes))
      }),
      { numRuns: 100_000 }
    )
  }, FuzzTimeoutMs)
})

describe("decodeBody", () => {
  it("passes identity bodies through and refuses one over the limit", async () => {
    expect(await decode(Buffer.from("abc"), "identity", 3)).toEqual(Buffer.from("abc"))
    expect(await decode(Buffer.from("abcd"), "identity", 3)).toBe("tooLarge")
  })

  it("gunzips a body and refuses a gzip bomb by its decoded size", async () => {
    expect(await decode(gzipSync("a\nb\n"), "gzip", 100)).toEqual(Buffer.from("a\nb\n"))
    const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024))
    expect(bomb.length).toBeLessThan(20_000)
    expect(await decode(bomb, "gzip", 1024 * 1024)).toBe("tooLarge")
  })

  it("reports a body that is not gzip as corrupt", async () => {
    expect(await decode(Buffer.from("plain text"), "gzip", 100)).toBe("corrupt")
    expect(await decode(gzipSync("truncated body").subarray(0, 12), "x-gzip", 100)).toBe("corrupt")
  })

  it("over 2,000 arbitrary and mangled gzip bodies: always one outcome, never a body over the limit", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.boolean(), fc.nat({ max: 40 }), fc.integer({ min: 1, max: 150 }), async (bytes, compress, cut, maxBytes) => {
        const gzipped = gzipSync(bytes)
        const body = compress ? gzipped : Buffer.concat([gzipped.subarray(0, cut), Buffer.from(bytes)])
        const decoded = await decode(body, "gzip", maxBytes)
        if (Buffer.isBuffer(decoded)) expect(decoded.length).toBeLessThanOrEqual(maxBytes)
        if (compress) expect(decoded).toEqual(bytes.length > maxBytes ? "tooLarge" : Buffer.from(bytes))
      }),
      { numRuns: 2_000 }
    )
  }, FuzzTimeoutMs)
})
