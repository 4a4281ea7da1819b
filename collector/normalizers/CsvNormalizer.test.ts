// The csv normalizer: named columns onto fields, RFC 4180 quoting (delimiters, quotes and line
// breaks inside quotes), skipped and extra columns, refusals, a round trip, and 100,000 fuzzed rows.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { decodeNormalizerSetupSync } from "../../model/Normalizer.ts"
import { anyText, compileSetup, fuzz, nearValid, normalized, parsedFields, refusal } from "./NormalizerTesting.ts"

const firewall = compileSetup({ kind: "csv", columns: ["Timestamp", "SourceAddress", "DestinationUserName", "", "note"] })

describe("CsvNormalizer", () => {
  it("reads named columns onto fields, skips a column named \"\" and quotes per RFC 4180", () => {
    const event = normalized(firewall, '2024-05-01T10:00:00Z,10.0.0.1,"Smith, John",skipped,"say ""hi"""')
    expect(parsedFields(event)).toEqual({
      Timestamp: Date.UTC(2024, 4, 1, 10),
      SourceAddress: "10.0.0.1",
      DestinationUserName: "Smith, John",
      Extra: { note: 'say "hi"' }
    })
  })

  it("names columns past the list column<N>, keeps line breaks inside quotes, and drops a trailing CR", () => {
    const event = normalized(firewall, '2024-05-01T10:00:00Z,10.0.0.1,bob,,"two\r\nlines",extra,\r')
    expect(event.Extra).toEqual({ note: "two\r\nlines", column6: "extra" })
  })

  it("takes another delimiter", () => {
    const semicolons = compileSetup({ kind: "csv", delimiter: ";", columns: ["a", "b"] })
    expect(normalized(semicolons, 'x;"y;z"').Extra).toEqual({ a: "x", b: "y;z" })
    expect(normalized(compileSetup({ kind: "csv", delimiter: "\t" }), "1\t2").Extra).toEqual({ column1: "1", column2: "2" })
  })

  it("refuses an empty record, an unclosed quote and text after a closing quote", () => {
    expect(refusal(firewall, "")).toBe("empty record")
    expect(refusal(firewall, '2024-05-01,"open')).toBe("the quoted field in column 2 is not closed")
    expect(refusal(firewall, '2024-05-01,"a"b')).toBe("text after the closing quote in column 2")
    expect(refusal(firewall, ",".repeat(1_024))).toContain("more than 1024 columns")
  })

  it("refuses a bad delimiter, a column named twice, and a mapping from an unknown column at decode time", () => {
    expect(() => decodeNormalizerSetupSync({ kind: "csv", delimiter: '"' })).toThrow(/\["delimiter"\]/)
    expect(() => decodeNormalizerSetupSync({ kind: "csv", columns: ["a", "a"] })).toThrow(/\["columns"\]\[1\][\s\S]*named twice/)
    expect(() => decodeNormalizerSetupSync({ kind: "csv", columns: ["a"], mapping: [{ source: "b", target: "Name" }] })).toThrow(/no column is named 'b'/)
  })
})

const cell = fc.string({ unit: fc.oneof(fc.constantFrom(",", '"', "\r", "\n", " ", "é"), fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 12 })
const row = fc.array(cell, { minLength: 1, maxLength: 10 })
const encodeCell = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text)
const encodeRow = (cells: ReadonlyArray<string>): string => cells.map(encodeCell).join(",")

describe("CsvNormalizer properties", () => {
  it("a row of random cells with RFC 4180 quoting parses back to those cells", () => {
    const columns = compileSetup({ kind: "csv" })
    fc.assert(
      fc.property(row, (cells) => {
        const expected = Object.fromEntries(cells.map((text, index) => [`column${index + 1}`, text]))
        expect(normalized(columns, encodeRow(cells)).Extra).toEqual(expected)
      }),
      { numRuns: 5_000 }
    )
  })

  it("100,000 fuzzed rows never throw and keep the invariants", () => {
    const csv = compileSetup({ kind: "csv", columns: ["Timestamp", "SourceAddress", "SourcePort", "Name"] })
    const records = fc.oneof(anyText, nearValid(row.map(encodeRow)), nearValid(fc.constant('2024-05-01T10:00:00Z,10.0.0.1,443,"login, failed"')))
    const started = performance.now()
    const accepted = fuzz(csv, records, 100_000)
    console.log(`csv fuzz: 100000 cases in ${Math.round(performance.now() - started)} ms, ${(accepted * 100).toFixed(1)}% accepted`)
    expect(accepted).toBeGreaterThan(0.05)
  }, 120_000)
})
