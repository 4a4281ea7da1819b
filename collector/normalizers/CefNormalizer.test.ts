// The cef normalizer against ArcSight-style records: header and extension escapes, values with
// spaces and stray `=`, labels and custom slots, a syslog prefix, refusals, round trips of
// properly escaped records, and 100,000 fuzzed records that never throw.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { anyText, compileSetup, fuzz, nearValid, normalized, parsedFields, receivedAt, refusal } from "./NormalizerTesting.ts"

const cef = compileSetup("cef")
const cefToExtra = compileSetup({ kind: "cef", mapping: [], unmapped: "extra" })

describe("CefNormalizer header and standard keys", () => {
  it("maps the header and standard extension keys onto normalized fields", () => {
    const event = normalized(cef, "CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232 dpt=80 suser=alice duser=bob act=blocked proto=TCP")
    expect(parsedFields(event)).toEqual({
      Timestamp: receivedAt,
      DeviceVendor: "Security",
      DeviceProduct: "threatmanager",
      DeviceVersion: "1.0",
      DeviceEventClassID: "100",
      Name: "worm successfully stopped",
      Severity: "10",
      SourceAddress: "10.0.0.1",
      DestinationAddress: "2.1.2.2",
      SourcePort: 1232,
      DestinationPort: 80,
      SourceUserName: "alice",
      DestinationUserName: "bob",
      DeviceAction: "blocked",
      TransportProtocol: "TCP"
    })
  })

  it("reads custom strings, numbers and their labels, and full key names", () => {
    const event = normalized(
      cef,
      "CEF:1|Acme|Gateway|4.2|login|Login failed|7|cs1Label=Policy cs1=Default Deny cn1Label=Score cn1=42.5 cs6=x cs6Label=Six deviceCustomString2=full name sourceAddress=10.9.8.7"
    )
    expect(event).toMatchObject({
      DeviceCustomString1Label: "Policy",
      DeviceCustomString1: "Default Deny",
      DeviceCustomNumber1Label: "Score",
      DeviceCustomNumber1: 42.5,
      DeviceCustomString6: "x",
      DeviceCustomString6Label: "Six",
      DeviceCustomString2: "full name",
      SourceAddress: "10.9.8.7"
    })
  })

  it("reads rt, start and end as epoch milliseconds or CEF date text", () => {
    const event = normalized(cef, "CEF:0|A|B|1|1|n|1|rt=1714557600123 start=May 01 2024 10:00:00.500 UTC end=May 01 2024 12:00:00 +02:00")
    expect(event.Timestamp).toBe(1_714_557_600_123)
    expect(event.StartTime).toBe(Date.UTC(2024, 4, 1, 10, 0, 0, 500))
    expect(event.EndTime).toBe(Date.UTC(2024, 4, 1, 10))
  })

  it("puts keys outside the CEF dictionary into Extra", () => {
    const event = normalized(cef, "CEF:0|A|B|1|1|n|1|src=1.2.3.4 ad.logonType=3 cfp1=1.5 customKey=some value")
    expect(event.Extra).toEqual({ "ad.logonType": "3", cfp1: "1.5", customKey: "some value" })
  })

  it("takes the device host and time from a syslog prefix unless the extension names them", () => {
    const prefixed = normalized(cef, "<134>Feb 14 19:04:54 fw01.example.com CEF:0|Palo Alto Networks|PAN-OS|10.1|TRAFFIC|end|3|src=10.1.1.1")
    expect(prefixed.DeviceHostName).toBe("fw01.example.com")
    expect(prefixed.Timestamp).toBe(Date.UTC(2024, 1, 14, 19, 4, 54))
    const overridden = normalized(cef, "<134>Feb 14 19:04:54 relay CEF:0|A|B|1|1|n|1|dvchost=fw02 rt=1714557600000")
    expect(overridden.DeviceHostName).toBe("fw02")
    expect(overridden.Timestamp).toBe(1_714_557_600_000)
    expect(normalized(cef, "garbage before CEF:0|A|B|1|1|n|1|src=1.2.3.4").SourceAddress).toBe("1.2.3.4")
  })

  it("accepts a record whose header ends without an extension or its last pipe", () => {
    expect(normalized(cef, "CEF:0|A|B|1|1|n|5").Severity).toBe("5")
    expect(normalized(cef, "CEF:0|A|B|1|1|n|5|").Severity).toBe("5")
    expect(normalized(cef, "CEF:0|A|B|1|1|n|5|   ").Extra).toBeUndefined()
  })
})

describe("CefNormalizer escaping", () => {
  it("unescapes \\| and \\\\ in the header (ArcSight examples)", () => {
    expect(normalized(cef, String.raw`CEF:0|security|threatmanager|1.0|100|detected a \| in message|10|src=10.0.0.1`).Name).toBe("detected a | in message")
    expect(normalized(cef, String.raw`CEF:0|security|threatmanager|1.0|100|detected a \\ in packet|10|src=10.0.0.1`).Name).toBe("detected a \\ in packet")
    expect(normalized(cef, String.raw`CEF:0|a\\|b|1|1|n|1|`).DeviceVendor).toBe("a\\")
  })

  it("unescapes \\=, \\\\, \\n and \\r in extension values, and keeps other backslashes", () => {
    const event = normalized(cef, String.raw`CEF:0|security|threatmanager|1.0|100|x|10|src=10.0.0.1 act=blocked a \= dst=1.1.1.1 msg=line1\nline2\r\nend path=C:\\Windows\\x req=a\qb`)
    expect(event.DeviceAction).toBe("blocked a =")
    expect(event.DestinationAddress).toBe("1.1.1.1")
    expect(event.Message).toBe("line1\nline2\r\nend")
    expect(event.Extra).toEqual({ path: "C:\\Windows\\x", req: "a\\qb" })
  })

  it("lets values hold spaces: a key starts at the last space before key=", () => {
    const event = normalized(cef, "CEF:0|A|B|1|1|n|1|msg=Detected a threat. No action needed. suser=John Smith  dst=1.1.1.1")
    expect(event.Message).toBe("Detected a threat. No action needed.")
    expect(event.SourceUserName).toBe("John Smith")
  })

  it("keeps an unescaped = that does not follow a key word in the value", () => {
    const event = normalized(cef, "CEF:0|A|B|1|1|n|1|request=https://example.org/?a=b&c=d msg=x==y a:b=c src=1.2.3.4")
    expect(event.RequestUrl).toBe("https://example.org/?a=b&c=d")
    expect(event.Message).toBe("x==y a:b=c")
    expect(event.SourceAddress).toBe("1.2.3.4")
  })
})

describe("CefNormalizer refusals", () => {
  it("refuses a record without CEF:, with a short header, or a version that is not a number", () => {
    expect(refusal(cef, "hello")).toBe("not CEF: no CEF: header")
    expect(refusal(cef, "CEF:0|A|B|1")).toContain("CEF header has 4 of its 7 fields")
    expect(refusal(cef, "CEF:x|A|B|1|1|n|1|")).toContain("CEF version must be a number")
  })

  it("refuses an extension that does not start with key=value", () => {
    expect(refusal(cef, "CEF:0|A|B|1|1|n|1|junk src=1.2.3.4")).toBe("CEF extension does not start with key=value")
    expect(refusal(cef, "CEF:0|A|B|1|1|n|1|no pairs at all")).toBe("CEF extension does not start with key=value")
  })

  it("refuses a standard key whose value its field cannot take, naming field and key", () => {
    expect(refusal(cef, "CEF:0|A|B|1|1|n|1|spt=ssh")).toBe('field SourcePort (from spt): cannot read "ssh" as integer')
    expect(refusal(cef, "CEF:0|A|B|1|1|n|1|rt=yesterday")).toContain("field Timestamp (from rt)")
  })

  it("refuses more than 1,024 extension fields", () => {
    const pairs = Array.from({ length: 1_100 }, (_, index) => `k${index}=v`).join(" ")
    expect(refusal(cef, `CEF:0|A|B|1|1|n|1|${pairs}`)).toContain("more than 1024")
  })
})

/** Escapes a header field as CEF requires. */
const escapeHeader = (text: string): string => text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|")
/** Escapes an extension value as CEF requires (a pipe may be escaped too). */
const escapeValue = (text: string, escapePipes: boolean): string => {
  const escaped = text.replace(/\\/g, "\\\\").replace(/=/g, "\\=").replace(/\n/g, "\\n").replace(/\r/g, "\\r")
  return escapePipes ? escaped.replace(/\|/g, "\\|") : escaped
}

const headerText = fc.string({ unit: fc.oneof(fc.constantFrom("|", "\\", "=", " ", "é"), fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 12 }).filter((text) => !/[\r\n]/.test(text))
const valueText = fc
  .string({ unit: fc.oneof(fc.constantFrom("|", "\\", "=", " ", "\n", "\r", "n", "é", "😀"), fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 16 })
  // CEF cannot carry trailing spaces (they separate pairs) and empty values carry nothing.
  .filter((text) => text.trimEnd() === text && text.length > 0)
const extensionKey = fc.stringMatching(/^x[A-Za-z0-9_]{0,7}$/)

const cefRecord = fc.record({
  version: fc.constantFrom("0", "1"),
  header: fc.array(headerText, { minLength: 6, maxLength: 6 }),
  pairs: fc.uniqueArray(fc.tuple(extensionKey, valueText), { selector: ([key]) => key, maxLength: 8 }),
  escapePipes: fc.boolean()
})

const encodeCef = (record: typeof cefRecord extends fc.Arbitrary<infer T> ? T : never): string =>
  `CEF:${record.version}|${record.header.map(escapeHeader).join("|")}|${record.pairs.map(([key, value]) => `${key}=${escapeValue(value, record.escapePipes)}`).join(" ")}`

describe("CefNormalizer properties", () => {
  it("a record built from random values with proper escaping parses back to those values", () => {
    fc.assert(
      fc.property(cefRecord, (record) => {
        const event = normalized(cefToExtra, encodeCef(record))
        const [vendor, product, version, classId, name, severity] = record.header
        expect(event.Extra).toEqual({
          cefVersion: record.version,
          deviceVendor: vendor,
          deviceProduct: product,
          deviceVersion: version,
          deviceEventClassId: classId,
          name,
          severity,
          ...Object.fromEntries(record.pairs)
        })
      }),
      { numRuns: 5_000 }
    )
  })

  it("100,000 fuzzed records (arbitrary text and edited valid records) never throw and keep the invariants", () => {
    const records = fc.oneof(anyText, nearValid(cefRecord.map(encodeCef)), nearValid(fc.constant("<134>Feb 14 19:04:54 fw01 CEF:0|A|B|1|1|n|1|src=1.2.3.4 msg=a\\=b cs1Label=x cs1=y")))
    const started = performance.now()
    const accepted = fuzz(cef, records, 100_000)
    console.log(`cef fuzz: 100000 cases in ${Math.round(performance.now() - started)} ms, ${(accepted * 100).toFixed(1)}% accepted`)
    expect(accepted).toBeGreaterThan(0.05)
  }, 120_000)
})
