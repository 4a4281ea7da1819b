// Event times as normalizers read them: epoch numbers and text, ISO 8601 / RFC 3339 with and
// without zones, syslog and CEF month-name dates, the year of year-less dates, and what is refused.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { MaxTimestamp, parseEventTime } from "./EventTime.ts"

const receivedAt = Date.UTC(2024, 4, 1, 12)
const read = (value: unknown, at = receivedAt) => parseEventTime(value, at)

describe("EventTime", () => {
  it("reads epoch seconds and milliseconds, as numbers or digits", () => {
    expect(read(1_714_557_600)).toBe(1_714_557_600_000)
    expect(read(1_714_557_600_123)).toBe(1_714_557_600_123)
    expect(read("1714557600")).toBe(1_714_557_600_000)
    expect(read("1714557600.5")).toBe(1_714_557_600_500)
    expect(read("1714557600123")).toBe(1_714_557_600_123)
  })

  it("reads ISO 8601 / RFC 3339 with Z, offsets, fractions of any length, and no zone as UTC", () => {
    expect(read("2024-05-01T10:00:00Z")).toBe(Date.UTC(2024, 4, 1, 10))
    expect(read("2024-05-01t10:00:00.123456z")).toBe(Date.UTC(2024, 4, 1, 10, 0, 0, 123))
    expect(read("2024-05-01T12:00:00+02:00")).toBe(Date.UTC(2024, 4, 1, 10))
    expect(read("2024-05-01T05:30:00-0430")).toBe(Date.UTC(2024, 4, 1, 10))
    expect(read("2024-05-01 10:00:00")).toBe(Date.UTC(2024, 4, 1, 10))
    expect(read("2024-05-01T10:00")).toBe(Date.UTC(2024, 4, 1, 10))
    expect(read("2024-05-01")).toBe(Date.UTC(2024, 4, 1))
    expect(read("2016-12-31T23:59:60Z")).toBe(Date.UTC(2016, 11, 31, 23, 59, 59, 999))
  })

  it("refuses impossible dates and clocks instead of rolling them over", () => {
    expect(read("2023-02-29T10:00:00Z")).toBeUndefined()
    expect(read("2024-02-30")).toBeUndefined()
    expect(read("2024-13-01")).toBeUndefined()
    expect(read("2024-05-01T24:00:00Z")).toBeUndefined()
    expect(read("2024-05-01T10:61:00Z")).toBeUndefined()
    expect(read("Feb 30 10:00:00")).toBeUndefined()
    expect(read("May 01 2024 10:00:00 CET+99")).toBeUndefined()
  })

  it("reads syslog and CEF month-name dates, with an optional year, fraction and zone", () => {
    expect(read("May  1 10:00:00")).toBe(Date.UTC(2024, 4, 1, 10))
    expect(read("May 01 2024 10:00:00")).toBe(Date.UTC(2024, 4, 1, 10))
    expect(read("may 01 2024 10:00:00.250 UTC")).toBe(Date.UTC(2024, 4, 1, 10, 0, 0, 250))
    expect(read("May 01 2024 12:00:00 GMT+02:00")).toBe(Date.UTC(2024, 4, 1, 10))
    expect(read("May 01 12:00:00 +0200")).toBe(Date.UTC(2024, 4, 1, 10))
  })

  it("gives a year-less date the latest year that is at most a week ahead of receipt", () => {
    expect(read("Apr 30 23:00:00")).toBe(Date.UTC(2024, 3, 30, 23))
    expect(read("May  7 10:00:00")).toBe(Date.UTC(2024, 4, 7, 10))
    expect(read("Jun  1 10:00:00")).toBe(Date.UTC(2023, 5, 1, 10))
    expect(read("Dec 31 23:59:59", Date.UTC(2025, 0, 1))).toBe(Date.UTC(2024, 11, 31, 23, 59, 59))
    expect(read("Jan  1 00:00:01", Date.UTC(2024, 11, 31, 23))).toBe(Date.UTC(2025, 0, 1, 0, 0, 1))
    expect(read("Feb 29 00:00:00", Date.UTC(2026, 5, 1))).toBe(Date.UTC(2024, 1, 29))
  })

  it("falls back to Date.parse for other forms, and refuses what is no time or out of range", () => {
    expect(read("Wed, 01 May 2024 10:00:00 GMT")).toBe(Date.UTC(2024, 4, 1, 10))
    expect(read("yesterday")).toBeUndefined()
    expect(read("")).toBeUndefined()
    expect(read(true)).toBeUndefined()
    expect(read({})).toBeUndefined()
    expect(read(Number.NaN)).toBeUndefined()
    expect(read(-1e13)).toBeUndefined()
    expect(read(MaxTimestamp + 1)).toBeUndefined()
    expect(read(`${"9".repeat(30)}`)).toBeUndefined()
  })

  it("agrees with Date for every ISO 8601 UTC time it prints", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date(0), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }), (date) => {
        expect(read(date.toISOString())).toBe(date.getTime())
      }),
      { numRuns: 2_000 }
    )
  })
})
