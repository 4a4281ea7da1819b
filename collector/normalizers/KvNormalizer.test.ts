// The kv normalizer: Windows-style and firewall key=value records, quoted values, words that
// continue a value, custom separators, refusals, a round trip, and 100,000 fuzzed records.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { anyText, compileSetup, fuzz, nearValid, normalized, parsedFields, receivedAt, refusal } from "./NormalizerTesting.ts"

const kv = compileSetup("kv")

describe("KvNormalizer", () => {
  it("reads a Windows-style record: quoted values, field names onto fields, the rest to Extra", () => {
    const event = normalized(
      kv,
      'EventCode=4625 ComputerName=dc01.corp.local Account_Name="John Smith" Logon_Type=3 Source_Network_Address=10.1.2.3 SourcePort=51234 Name="An account failed to log on"'
    )
    expect(parsedFields(event)).toEqual({
      Timestamp: receivedAt,
      SourcePort: 51234,
      Name: "An account failed to log on",
      Extra: { EventCode: "4625", ComputerName: "dc01.corp.local", Account_Name: "John Smith", Logon_Type: "3", Source_Network_Address: "10.1.2.3" }
    })
  })

  it("lets unquoted words continue the previous value when pairs are separated by spaces", () => {
    const event = normalized(kv, "date=2024-05-01 msg=login failed for user bob action=deny")
    expect(event.Extra).toEqual({ date: "2024-05-01", msg: "login failed for user bob", action: "deny" })
  })

  it("ignores words before the first pair and keeps = inside values", () => {
    const event = normalized(kv, "devname fw01: url=https://x/?a=b&c=d id=7")
    expect(event.Extra).toEqual({ url: "https://x/?a=b&c=d", id: "7" })
  })

  it("unescapes \\\" and \\\\ inside quotes, where separators are text", () => {
    const event = normalized(kv, String.raw`a="say \"hi\" a=b \\ c" b=""`)
    expect(event.Extra).toEqual({ a: 'say "hi" a=b \\ c' })
  })

  it("takes custom separators and trims spaces around keys and values", () => {
    const custom = compileSetup({ kind: "kv", pairSeparator: ";", valueSeparator: ":" })
    expect(normalized(custom, 'a: 1; b : two words ;c:"q;x"; ;d').Extra).toEqual({ a: "1", b: "two words", c: "q;x" })
    const tabs = compileSetup({ kind: "kv", pairSeparator: "\t" })
    expect(normalized(tabs, "a=1 2\tb=3").Extra).toEqual({ a: "1 2", b: "3" })
  })

  it("ignores a pair named like a collector-stamped field", () => {
    const event = normalized(kv, "TenantID=main ID=x Name=n")
    expect(event.TenantID).toBe("tenant-2")
    expect(event.Name).toBe("n")
    expect(event.Extra).toBeUndefined()
  })

  it("refuses a record without pairs, an unclosed quote, and more than 1,024 pairs", () => {
    expect(refusal(kv, "just words")).toBe("no key=value pairs")
    expect(refusal(kv, "")).toBe("no key=value pairs")
    expect(refusal(kv, 'a="open')).toBe('the quoted value of "a" is not closed')
    expect(refusal(kv, Array.from({ length: 1_025 }, (_, index) => `k${index}=v`).join(" "))).toContain("more than 1024 fields")
    expect(refusal(kv, "SourcePort=ssh")).toBe('field SourcePort: cannot read "ssh" as integer')
  })
})

const kvKey = fc.stringMatching(/^x[A-Za-z0-9_.]{0,7}$/)
const kvValue = fc.string({ unit: fc.oneof(fc.constantFrom('"', "\\", "=", " ", ";", "é"), fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 16 })
const kvRecord = fc.uniqueArray(fc.tuple(kvKey, kvValue), { selector: ([key]) => key, minLength: 1, maxLength: 8 })
const encodeKv = (pairs: ReadonlyArray<readonly [string, string]>): string => pairs.map(([key, value]) => `${key}="${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`).join(" ")

describe("KvNormalizer properties", () => {
  it("pairs of random keys and quoted, escaped values parse back to them", () => {
    fc.assert(
      fc.property(kvRecord, (pairs) => {
        expect(normalized(kv, encodeKv(pairs)).Extra).toEqual(Object.fromEntries(pairs))
      }),
      { numRuns: 5_000 }
    )
  })

  it("100,000 fuzzed records never throw and keep the invariants", () => {
    const records = fc.oneof(anyText, nearValid(kvRecord.map(encodeKv)), nearValid(fc.constant('EventCode=4625 Account_Name="John Smith" msg=login failed SourcePort=22')))
    const started = performance.now()
    const accepted = fuzz(kv, records, 100_000)
    console.log(`kv fuzz: 100000 cases in ${Math.round(performance.now() - started)} ms, ${(accepted * 100).toFixed(1)}% accepted`)
    expect(accepted).toBeGreaterThan(0.05)
  }, 120_000)
})
