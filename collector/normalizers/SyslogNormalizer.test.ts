// The syslog normalizer against real lines: RFC 3164 (BSD, Linux sshd, Cisco ASA, file lines
// without PRI, year inference) and RFC 5424 (the RFC's examples, structured data with escapes, BOM),
// refusals, a structured-data round trip, and 100,000 fuzzed records per format.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { anyText, compileSetup, fuzz, makeContext, nearValid, normalized, parsedFields, receivedAt, refusal } from "./NormalizerTesting.ts"

const syslog = compileSetup("syslog")

describe("SyslogNormalizer RFC 3164", () => {
  it("reads PRI, timestamp, host, tag and message (RFC 3164 example)", () => {
    const event = normalized(syslog, "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8")
    expect(parsedFields(event)).toEqual({
      // Received on 2024-05-01, an October date is last year's.
      Timestamp: Date.UTC(2023, 9, 11, 22, 14, 15),
      DeviceFacility: "auth",
      Severity: "crit",
      DeviceHostName: "mymachine",
      DeviceProcessName: "su",
      Message: "'su root' failed for lonvick on /dev/pts/8"
    })
  })

  it("reads a Linux sshd line from a file (no PRI) with the process ID", () => {
    const event = normalized(syslog, "May  1 10:00:00 web01 sshd[4242]: Failed password for invalid user admin from 203.0.113.5 port 52311 ssh2")
    expect(parsedFields(event)).toEqual({
      Timestamp: Date.UTC(2024, 4, 1, 10),
      DeviceHostName: "web01",
      DeviceProcessName: "sshd",
      SourceProcessID: 4242,
      Message: "Failed password for invalid user admin from 203.0.113.5 port 52311 ssh2"
    })
  })

  it("reads Cisco ASA lines with a year, with and without a device name", () => {
    const withHost = normalized(syslog, "<166>Apr 30 2024 23:59:58 asa-fw01 : %ASA-4-106023: Deny tcp src outside:203.0.113.9/4444 dst inside:10.0.0.5/22")
    expect(parsedFields(withHost)).toEqual({
      Timestamp: Date.UTC(2024, 3, 30, 23, 59, 58),
      DeviceFacility: "local4",
      Severity: "info",
      DeviceHostName: "asa-fw01",
      Message: "%ASA-4-106023: Deny tcp src outside:203.0.113.9/4444 dst inside:10.0.0.5/22"
    })
    const withoutHost = normalized(syslog, "<166>Apr 30 2024 23:59:58: %ASA-6-302013: Built outbound TCP connection 123")
    expect(withoutHost.DeviceHostName).toBeUndefined()
    expect(withoutHost.DeviceProcessName).toBe("%ASA-6-302013")
    expect(withoutHost.Message).toBe("Built outbound TCP connection 123")
  })

  it("reads an RFC 3339 time (rsyslog high-precision format) and a line without a tag", () => {
    const event = normalized(syslog, "<13>2024-05-01T10:00:00.123+02:00 10.0.0.99 Use the BFG!")
    expect(event.Timestamp).toBe(Date.UTC(2024, 4, 1, 8, 0, 0, 123))
    expect(event.DeviceHostName).toBe("10.0.0.99")
    expect(event.DeviceProcessName).toBeUndefined()
    expect(event.Message).toBe("Use the BFG!")
  })

  it("infers the year from the receipt time: December seen in January is last year's, January seen in December next year's", () => {
    const january = makeContext({ receivedAt: Date.UTC(2025, 0, 1, 0, 5) })
    expect(normalized(syslog, "<13>Dec 31 23:59:00 h a: m", "192.0.2.1", january).Timestamp).toBe(Date.UTC(2024, 11, 31, 23, 59))
    const december = makeContext({ receivedAt: Date.UTC(2024, 11, 31, 23, 59) })
    expect(normalized(syslog, "<13>Jan  1 00:00:30 h a: m", "192.0.2.1", december).Timestamp).toBe(Date.UTC(2025, 0, 1, 0, 0, 30))
    expect(normalized(syslog, "<13>Feb 29 12:00:00 h a: m", "192.0.2.1", makeContext({ receivedAt: Date.UTC(2025, 2, 1) })).Timestamp).toBe(Date.UTC(2024, 1, 29, 12))
  })

  it("takes everything after PRI as the message when no timestamp follows (RFC 3164 §4.3.2)", () => {
    const event = normalized(syslog, "<190>%ASA-6-302013: Built outbound")
    expect(event.Message).toBe("%ASA-6-302013: Built outbound")
    expect(event.Timestamp).toBe(receivedAt)
  })

  it("takes a PRI line whose timestamp runs into other text as all message", () => {
    expect(parsedFields(normalized(syslog, "<13>May  1 10:00:00x rest"))).toEqual({ Timestamp: receivedAt, DeviceFacility: "user", Severity: "notice", Message: "May  1 10:00:00x rest" })
  })

  it("refuses a line with neither PRI nor timestamp, and a PRI out of range", () => {
    expect(refusal(syslog, "hello world")).toBe("not syslog: neither <PRI> nor a timestamp at the start")
    expect(refusal(syslog, "<192>Oct 11 22:14:15 h a: m")).toBe("not syslog: PRI must be <0> to <191>")
    expect(refusal(syslog, "<1a>Oct 11 22:14:15 h a: m")).toBe("not syslog: PRI must be <0> to <191>")
  })

  it("keeps a non-numeric process ID in Extra instead of refusing the record", () => {
    const event = normalized(syslog, "<13>May  1 10:00:00 h app[worker-3]: m")
    expect(event.SourceProcessID).toBeUndefined()
    expect(event.Extra).toEqual({ procid: "worker-3" })
  })
})

describe("SyslogNormalizer RFC 5424", () => {
  it("reads the RFC's structured-data example, dropping the BOM before MSG", () => {
    const event = normalized(
      syslog,
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] \uFEFFAn application event log entry...'
    )
    expect(parsedFields(event)).toEqual({
      Timestamp: Date.UTC(2003, 9, 11, 22, 14, 15, 3),
      DeviceFacility: "local4",
      Severity: "notice",
      DeviceHostName: "mymachine.example.com",
      DeviceProcessName: "evntslog",
      DeviceEventClassID: "ID47",
      Message: "An application event log entry...",
      Extra: {
        "sd.exampleSDID@32473.iut": "3",
        "sd.exampleSDID@32473.eventSource": "Application",
        "sd.exampleSDID@32473.eventID": "1011",
        "sd.examplePriority@32473.class": "high"
      }
    })
  })

  it("reads microseconds and offsets, a PROCID, nil values and no structured data", () => {
    const event = normalized(syslog, "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.")
    expect(event.Timestamp).toBe(Date.UTC(2003, 7, 24, 12, 14, 15))
    expect(event.SourceProcessID).toBe(8710)
    expect(event.DeviceEventClassID).toBeUndefined()
    expect(event.Message).toBe("%% It's time to make the do-nuts.")
    const nil = normalized(syslog, "<14>1 - - - - - -")
    expect(parsedFields(nil)).toEqual({ Timestamp: receivedAt, DeviceFacility: "user", Severity: "info" })
  })

  it("unescapes \\\" \\\\ and \\] in parameter values and keeps other backslashes", () => {
    const event = normalized(syslog, String.raw`<14>1 2024-05-01T10:00:00Z h a - - [x@1 q="a \"b\" \\ \] c\d" e=""]`)
    expect(event.Extra).toEqual({ "sd.x@1.q": 'a "b" \\ ] c\\d' })
  })

  it("refuses malformed headers and structured data with the reason", () => {
    expect(refusal(syslog, "<14>1 2024-05-01T10:00:00Z host")).toContain("RFC 5424 header: ends after HOSTNAME")
    expect(refusal(syslog, "<14>1 yesterday h a - - -")).toContain("RFC 5424 TIMESTAMP is not RFC 3339")
    expect(refusal(syslog, '<14>1 - h a - - [x@1 q="open')).toContain("is not closed")
    expect(refusal(syslog, "<14>1 - h a - - [x@1 q=unquoted]")).toContain('expected ="value"')
    expect(refusal(syslog, "<14>1 - h a - - nope")).toContain("structured data must be - or start with [")
    expect(refusal(syslog, '<14>1 - h a - - [x@1 a="1"]message')).toContain("expected a space")
    expect(refusal(syslog, `<14>1 - h a - - [${"x".repeat(1_100)} a="1"]`)).toContain("an Extra key is longer than 1024 characters")
  })

  it("the rfc3164 and rfc5424 formats take only their own lines", () => {
    const strict5424 = compileSetup({ kind: "syslog", format: "rfc5424" })
    expect(refusal(strict5424, "<34>Oct 11 22:14:15 mymachine su: x")).toContain("not RFC 5424")
    const strict3164 = compileSetup({ kind: "syslog", format: "rfc3164" })
    expect(normalized(strict3164, "<14>1 - h a - - - m").Message).toBe("1 - h a - - - m")
  })
})

// "-" alone is the NILVALUE, not a name.
const sdName = fc.stringMatching(/^[A-Za-z0-9@._-]{1,12}$/).filter((name) => name !== "-")
const sdValue = fc.string({ unit: fc.oneof(fc.constantFrom('"', "\\", "]", "[", " ", "=", "é", "\n"), fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 16 })
const escapeSd = (text: string): string => text.replace(/[\\"\]]/g, (char) => `\\${char}`)

const sdRecord = fc.record({
  host: sdName,
  app: sdName,
  procid: fc.stringMatching(/^[0-9]{1,6}$/),
  msgid: sdName,
  elements: fc.uniqueArray(fc.tuple(sdName, fc.uniqueArray(fc.tuple(sdName, sdValue), { selector: ([name]) => name, minLength: 1, maxLength: 4 })), {
    selector: ([id]) => id,
    maxLength: 3
  }),
  message: fc.string({ maxLength: 30 })
})

const encode5424 = (record: typeof sdRecord extends fc.Arbitrary<infer T> ? T : never): string => {
  const data = record.elements.length === 0 ? "-" : record.elements.map(([id, params]) => `[${id}${params.map(([name, value]) => ` ${name}="${escapeSd(value)}"`).join("")}]`).join("")
  return `<165>1 2024-05-01T10:00:00.000Z ${record.host} ${record.app} ${record.procid} ${record.msgid} ${data} ${record.message}`
}

const line3164 = fc
  .record({
    pri: fc.integer({ min: 0, max: 191 }),
    month: fc.constantFrom("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    day: fc.integer({ min: 1, max: 28 }),
    time: fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 })),
    host: fc.option(sdName, { nil: undefined }),
    tag: fc.option(fc.tuple(sdName, fc.option(fc.nat({ max: 99_999 }), { nil: undefined })), { nil: undefined }),
    message: fc.string({ maxLength: 40 })
  })
  .map(({ pri, month, day, time, host, tag, message }) => {
    const clock = time.map((part) => String(part).padStart(2, "0")).join(":")
    const tagText = tag === undefined ? "" : `${tag[0]}${tag[1] === undefined ? "" : `[${tag[1]}]`}: `
    return `<${pri}>${month} ${String(day).padStart(2, " ")} ${clock} ${host === undefined ? "" : `${host} `}${tagText}${message}`
  })

describe("SyslogNormalizer properties", () => {
  it("structured data built from random names and values with proper escaping parses back to them", () => {
    const toExtra = compileSetup({ kind: "syslog", mapping: [], unmapped: "extra" })
    fc.assert(
      fc.property(sdRecord, (record) => {
        const event = normalized(toExtra, encode5424(record))
        const expected: Record<string, string> = { priority: "165", facility: "local4", severity: "notice", version: "1", timestamp: "2024-05-01T10:00:00.000Z", host: record.host, app: record.app, procid: record.procid, msgid: record.msgid }
        for (const [id, params] of record.elements) for (const [name, value] of params) expected[`sd.${id}.${name}`] = value
        const message = record.message.replace(/^\uFEFF/, "").replace(/[\r\n]+$/, "")
        if (message !== "") expected.message = message
        expect(event.Extra).toEqual(expected)
      }),
      { numRuns: 5_000 }
    )
  })

  it("100,000 fuzzed RFC 3164 lines never throw and keep the invariants", () => {
    const records = fc.oneof(anyText, nearValid(line3164), nearValid(fc.constant("<166>Apr 30 2024 23:59:58 asa-fw01 : %ASA-4-106023: Deny tcp")))
    const started = performance.now()
    // Facility and severity names can be longer than the PRI they come from.
    const accepted = fuzz(syslog, records, 100_000, 3)
    console.log(`syslog 3164 fuzz: 100000 cases in ${Math.round(performance.now() - started)} ms, ${(accepted * 100).toFixed(1)}% accepted`)
    expect(accepted).toBeGreaterThan(0.05)
  }, 120_000)

  it("100,000 fuzzed RFC 5424 records never throw and keep the invariants", () => {
    const records = fc.oneof(anyText, nearValid(sdRecord.map(encode5424)), nearValid(fc.constant('<165>1 2003-10-11T22:14:15.003Z h evntslog - ID47 [a@1 iut="3"][b@2 class="hi\\]gh"] \uFEFFentry')))
    const started = performance.now()
    const accepted = fuzz(syslog, records, 100_000, 3)
    console.log(`syslog 5424 fuzz: 100000 cases in ${Math.round(performance.now() - started)} ms, ${(accepted * 100).toFixed(1)}% accepted`)
    expect(accepted).toBeGreaterThan(0.05)
  }, 120_000)
})
