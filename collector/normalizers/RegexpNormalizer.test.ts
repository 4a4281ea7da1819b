// The regexp normalizer: named groups become fields (onto normalized fields by name, else Extra),
// RE2 syntax, patterns refused at decode time, linear time on a pattern that makes backtracking
// engines stall, and 100,000 fuzzed records.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { decodeNormalizerSetupSync } from "../../model/Normalizer.ts"
import { anyText, compileSetup, fuzz, nearValid, normalized, parsedFields, receivedAt, refusal } from "./NormalizerTesting.ts"

const sshd = compileSetup({
  kind: "regexp",
  pattern: String.raw`sshd\[(?P<pid>\d+)\]: (?P<EventOutcome>Failed|Accepted) password for (invalid user )?(?P<DestinationUserName>\S+) from (?P<SourceAddress>[0-9a-fA-F.:]+) port (?P<SourcePort>\d+)`
})

describe("RegexpNormalizer", () => {
  it("reads an sshd line: named groups onto fields by name, others to Extra", () => {
    const event = normalized(sshd, "May  1 10:00:00 web01 sshd[4242]: Failed password for invalid user admin from 203.0.113.5 port 52311 ssh2")
    expect(parsedFields(event)).toEqual({
      Timestamp: receivedAt,
      EventOutcome: "Failed",
      DestinationUserName: "admin",
      SourceAddress: "203.0.113.5",
      SourcePort: 52311,
      Extra: { pid: "4242" }
    })
  })

  it("accepts (?<name>...) groups too, and leaves out a group that took no part in the match", () => {
    const optional = compileSetup({ kind: "regexp", pattern: String.raw`^(?<Name>\w+)(?: (?<Message>.+))?$` })
    expect(parsedFields(normalized(optional, "hello"))).toEqual({ Timestamp: receivedAt, Name: "hello" })
    expect(normalized(optional, "hello big world").Message).toBe("big world")
  })

  it("maps groups through an explicit mapping with conversions", () => {
    const mapped = compileSetup({
      kind: "regexp",
      pattern: String.raw`user=(?P<user>\S+) at=(?P<at>\d+)`,
      mapping: [
        { source: "user", target: "SourceUserName", convert: ["trim", "lower"] },
        { source: "at", target: "Timestamp", convert: "epochSeconds" }
      ]
    })
    expect(parsedFields(normalized(mapped, "user=BOB at=1714557600"))).toEqual({ Timestamp: 1_714_557_600_000, SourceUserName: "bob" })
  })

  it("refuses a record that does not match", () => {
    expect(refusal(sshd, "something else entirely")).toBe("does not match the pattern")
  })

  it("refuses a pattern without named groups, an invalid one, or one outside RE2, with its path", () => {
    expect(() => decodeNormalizerSetupSync({ kind: "regexp", pattern: "(a+)" })).toThrow(/\["pattern"\][\s\S]*no named groups/)
    expect(() => decodeNormalizerSetupSync({ kind: "regexp", pattern: "(?P<x>a" })).toThrow(/invalid regular expression/)
    expect(() => decodeNormalizerSetupSync({ kind: "regexp", pattern: String.raw`(?P<x>a)\1` })).toThrow(/invalid regular expression/)
    expect(() => decodeNormalizerSetupSync({ kind: "regexp", pattern: "(?P<x>a)(?=b)" })).toThrow(/invalid regular expression/)
    expect(() => decodeNormalizerSetupSync({ kind: "regexp", pattern: "(?P<x>a)", mapping: [{ source: "y", target: "Name" }] })).toThrow(
      /\["source"\][\s\S]*no group named 'y'/
    )
  })

  it("(a+)+$ against 200,000 a's and a b takes linear time, not exponential", () => {
    const nested = compileSetup({ kind: "regexp", pattern: "(?P<run>(a+)+)$" })
    const small = "a".repeat(20_000) + "b"
    const large = "a".repeat(200_000) + "b"
    normalized(nested, "aaa")
    let started = performance.now()
    const smallResult = refusal(nested, small)
    const smallMillis = performance.now() - started
    started = performance.now()
    const largeResult = refusal(nested, large)
    const largeMillis = performance.now() - started
    expect(smallResult).toBe("does not match the pattern")
    expect(largeResult).toBe("does not match the pattern")
    // A backtracking engine needs 2^n steps here; RE2 grows with the input (ten times here).
    expect(largeMillis).toBeLessThan(2_000)
    expect(largeMillis).toBeLessThan(Math.max(50, smallMillis) * 40)
    expect(normalized(nested, "x" + "a".repeat(100_000)).Extra?.run).toHaveLength(100_000)
  }, 30_000)
})

const sshdLine = fc
  .record({
    pid: fc.nat({ max: 99_999 }),
    outcome: fc.constantFrom("Failed", "Accepted"),
    invalid: fc.boolean(),
    user: fc.stringMatching(/^[a-z0-9_.-]{1,12}$/),
    address: fc.oneof(fc.ipV4(), fc.ipV6()),
    port: fc.integer({ min: 0, max: 65_535 })
  })
  .map(({ pid, outcome, invalid, user, address, port }) => `May  1 10:00:00 web01 sshd[${pid}]: ${outcome} password for ${invalid ? "invalid user " : ""}${user} from ${address} port ${port} ssh2`)

describe("RegexpNormalizer properties", () => {
  it("100,000 fuzzed records never throw and keep the invariants", () => {
    const records = fc.oneof(anyText, nearValid(sshdLine))
    const started = performance.now()
    const accepted = fuzz(sshd, records, 100_000)
    console.log(`regexp fuzz: 100000 cases in ${Math.round(performance.now() - started)} ms, ${(accepted * 100).toFixed(1)}% accepted`)
    expect(accepted).toBeGreaterThan(0.05)
  }, 120_000)
})
