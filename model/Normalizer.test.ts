// Normalizer setups as deployment files give them: the shorthand `normalizer: "json"`, defaults,
// per-source entries, and refusals at decode time with the field path and reason.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, ParseResult, Schema } from "effect"
import { parse as parseYaml } from "yaml"
import { decodeNormalizerSetup, decodeNormalizerSetupSync, NormalizerSetup } from "./Normalizer.ts"

/** The paths and messages of a refused setup, one line each. */
const problems = (input: unknown): Array<string> => {
  const result = Effect.runSync(Effect.either(decodeNormalizerSetup(input)))
  if (Either.isRight(result)) throw new Error("expected the setup to be refused")
  return ParseResult.ArrayFormatter.formatErrorSync(result.left).map((issue) => `${issue.path.join(".")}: ${issue.message}`)
}

describe("NormalizerSetup decoding", () => {
  it("reads the plain kind names as that kind with its defaults", () => {
    expect(decodeNormalizerSetupSync("json")).toEqual({ default: { kind: "json", subNormalizers: [] }, bySource: [] })
    expect(decodeNormalizerSetupSync("syslog").default).toEqual({ kind: "syslog", format: "auto", subNormalizers: [] })
    expect(decodeNormalizerSetupSync("kv").default).toEqual({ kind: "kv", pairSeparator: " ", valueSeparator: "=", subNormalizers: [] })
    expect(decodeNormalizerSetupSync("csv").default).toEqual({ kind: "csv", delimiter: ",", subNormalizers: [] })
    expect(decodeNormalizerSetupSync("cef").default).toEqual({ kind: "cef", subNormalizers: [] })
  })

  it("reads a spec alone as the default, and a full setup with per-source normalizers from YAML", () => {
    expect(decodeNormalizerSetupSync({ kind: "kv", pairSeparator: ";" }).default).toMatchObject({ kind: "kv", pairSeparator: ";", valueSeparator: "=" })
    const setup = decodeNormalizerSetupSync(
      parseYaml(`
default: json
bySource:
  - addresses: [10.0.0.0/8, "2001:db8::/32", 192.0.2.7]
    normalizer: cef
  - addresses: [172.16.0.0/12]
    normalizer:
      kind: regexp
      pattern: 'user=(?P<user>\\S+)'
      mapping:
        - { source: user, target: SourceUserName, convert: [trim, lower] }
        - { constant: Acme, target: DeviceVendor }
      subNormalizers:
        - field: user
          when: [{ field: user, op: startsWith, value: "{" }]
          normalizer: json
`)
    )
    expect(setup.bySource).toHaveLength(2)
    expect(setup.bySource[1]!.normalizer).toMatchObject({
      kind: "regexp",
      mapping: [
        { source: "user", target: "SourceUserName", convert: ["trim", "lower"] },
        { constant: "Acme", target: "DeviceVendor", convert: [] }
      ],
      subNormalizers: [{ field: "user", required: false, normalizer: { kind: "json", subNormalizers: [] } }]
    })
  })

  it("encodes a decoded setup into a form that decodes to the same setup", () => {
    const setup = decodeNormalizerSetupSync({ default: { kind: "csv", columns: ["a"] }, bySource: [{ addresses: ["10.0.0.1"], normalizer: "syslog" }] })
    expect(decodeNormalizerSetupSync(Schema.encodeSync(NormalizerSetup)(setup))).toEqual(setup)
  })

  it("refuses a bad pattern, a pattern without named groups and regexp without a pattern, at the pattern's path", () => {
    expect(problems({ kind: "regexp", pattern: "(a+" })).toEqual(["default.pattern: invalid regular expression: error parsing regexp: missing closing ): `(a+`"])
    expect(problems({ kind: "regexp", pattern: "a+" })[0]).toMatch(/^default\.pattern: the pattern has no named groups/)
    expect(problems("regexp")).toEqual(["default.pattern: is missing"])
  })

  it("refuses unknown and collector-stamped targets, bad constants, and entries with both or neither source and constant", () => {
    expect(
      problems({
        kind: "json",
        mapping: [
          { source: "x", target: "Bogus" },
          { source: "x", target: "TenantID" },
          { constant: "abc", target: "SourcePort" },
          { target: "Name" },
          { source: "x", constant: 1, target: "Name" },
          { source: "x", target: "Extra" },
          { source: "x", target: "Extra." }
        ]
      })
    ).toEqual([
      "default.mapping.0.target: unknown event field 'Bogus' (use Extra.<key> for other names)",
      "default.mapping.1.target: TenantID is set by the collector, never by a normalizer",
      'default.mapping.2.constant: "abc" is not an integer, as SourcePort needs',
      "default.mapping.3: give exactly one of source and constant",
      "default.mapping.4: give exactly one of source and constant",
      "default.mapping.5.target: Extra is a map: name one entry as Extra.<key>",
      "default.mapping.6.target: an Extra target needs a key: Extra.<key>"
    ])
  })

  it("refuses bad separators, delimiters, columns, conditions and addresses, each at its path", () => {
    expect(problems({ kind: "kv", pairSeparator: "", valueSeparator: '"' })).toEqual([
      "default.pairSeparator: a separator has 1 to 8 characters",
      'default.valueSeparator: a separator cannot contain " or \\ (they quote and escape values)'
    ])
    expect(problems({ kind: "kv", pairSeparator: "==", valueSeparator: "=" })).toEqual(["default.valueSeparator: the pair and value separators must not contain one another"])
    expect(problems({ kind: "csv", delimiter: ",,", columns: ["a", "b", "a"] })).toEqual([
      'default.delimiter: the delimiter is one character other than ", CR and LF',
      "default.columns.2: column 'a' is named twice"
    ])
    expect(problems({ kind: "syslog", subNormalizers: [{ when: [{ field: "app", op: "regex", value: "(" }], normalizer: "json" }] })[0]).toMatch(
      /^default\.subNormalizers\.0\.when\.0\.value: invalid regular expression/
    )
    expect(problems({ default: "json", bySource: [{ addresses: ["10.0.0.1/8"], normalizer: "cef" }] })).toEqual([
      "bySource.0.addresses.0: '10.0.0.1/8' is not an IP address or CIDR range: the address has bits set beyond its /8 prefix"
    ])
    expect(problems({ default: "json", bySource: [{ addresses: [], normalizer: "cef" }] })[0]).toMatch(/^bySource\.0\.addresses/)
    expect(problems("xml")[0]).toMatch(/^default\.kind/)
  })
})
