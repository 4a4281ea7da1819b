// compileNormalizer across kinds: the collector's stamp whatever the payload says (tenant isolation,
// SPEC §1), the choice by source address, explicit mappings with constants and conversions, what
// happens to unmapped fields, sub-normalizers chosen by conditions, compile-time refusals with
// their paths, the 4 MB bound, and random setups on random input that never throw.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import type { NormalizerSetup, NormalizerSpec, NormalizerSpecEncoded } from "../../model/Normalizer.ts"
import { compileNormalizer, InvalidNormalizer } from "./Normalizer.ts"
import { anyText, checkResult, compileSetup, fixedId, makeContext, normalized, parsedFields, receivedAt, refusal } from "./NormalizerTesting.ts"

describe("Normalizer stamping and tenant isolation", () => {
  // Every kind, given a record that claims another tenant in every way its format allows.
  const spoofs: ReadonlyArray<readonly [string, NormalizerSpecEncoded | "json" | "cef" | "syslog" | "kv" | "csv", string]> = [
    ["json", "json", '{"TenantID":"main","tenantID":"main","Extra":{"TenantID":"main"},"ID":"forged","Type":2,"ServiceID":"evil","Raw":"x","ReceiptTime":5,"Name":"n"}'],
    ["cef", "cef", "CEF:0|A|B|1|1|n|1|TenantID=main tenantID=main ServiceID=evil Type=2 ID=forged Raw=x"],
    ["syslog", "syslog", '<14>1 2024-05-01T10:00:00Z h a - - [x@1 TenantID="main"] TenantID=main'],
    ["kv", "kv", "TenantID=main tenantID=main Extra.TenantID=main Type=2 ID=forged ServiceName=Evil Name=n"],
    ["csv", { kind: "csv", columns: ["TenantID", "tenantID", "Type", "Name"] }, "main,main,2,n"],
    ["regexp", { kind: "regexp", pattern: "(?P<TenantID>\\w+) (?P<tenantID>\\w+) (?P<Type>\\d)" }, "main main 2"]
  ]

  for (const [kind, setup, raw] of spoofs) {
    it(`${kind}: the collector stamps TenantID, ID, ServiceID, ServiceName, Type, ReceiptTime and Raw whatever the payload says`, () => {
      const event = normalized(compileSetup(setup), raw)
      expect(event).toMatchObject({
        ID: fixedId,
        TenantID: "tenant-2",
        ServiceID: "collector-7",
        ServiceName: "Firewall collector",
        Type: 1,
        ReceiptTime: receivedAt,
        Raw: raw
      })
      // A look-alike name is only data: it may sit in Extra, never in the tenant field.
      for (const [key, value] of Object.entries(event.Extra ?? {})) if (key !== "tenantID" && !key.endsWith("TenantID")) expect(value).not.toBe("main")
    })
  }

  it("a mapping cannot target a collector-stamped field", () => {
    for (const target of ["TenantID", "ID", "ServiceID", "ServiceName", "Type", "ReceiptTime", "Raw"]) {
      expect(() => compileSetup({ kind: "kv", mapping: [{ source: "t", target }] }), target).toThrow(/set by the collector/)
    }
  })

  it("defaults Timestamp to the receipt time and takes a fresh ID per record", () => {
    let next = 0
    const context = makeContext({ newId: () => `00000000-0000-4000-8000-00000000000${next++}` })
    const kv = compileSetup("kv")
    const first = normalized(kv, "a=1", "192.0.2.1", context)
    const second = normalized(kv, "a=1", "192.0.2.1", context)
    expect(first.Timestamp).toBe(receivedAt)
    expect(first.ID).not.toBe(second.ID)
  })
})

describe("Normalizer choice by source address", () => {
  const setup = compileSetup({
    default: "json",
    bySource: [
      { addresses: ["10.1.0.0/16", "2001:db8::/32"], normalizer: "cef" },
      { addresses: ["10.0.0.0/8"], normalizer: { kind: "syslog" } },
      { addresses: ["192.0.2.7"], normalizer: { kind: "kv" } }
    ]
  })

  it("takes the first entry whose addresses hold the record's source address", () => {
    expect(normalized(setup, "CEF:0|A|B|1|1|n|1|src=1.1.1.1", "10.1.2.3").SourceAddress).toBe("1.1.1.1")
    expect(normalized(setup, "<13>May  1 10:00:00 h a: m", "10.2.0.1").DeviceHostName).toBe("h")
    expect(normalized(setup, "a=1", "192.0.2.7").Extra).toEqual({ a: "1" })
    expect(normalized(setup, "CEF:0|A|B|1|1|n|1|src=1.1.1.1", "2001:db8::5").SourceAddress).toBe("1.1.1.1")
  })

  it("reads an IPv4-mapped IPv6 address (a dual-stack socket's) as IPv4", () => {
    expect(normalized(setup, "CEF:0|A|B|1|1|n|1|src=1.1.1.1", "::ffff:10.1.2.3").SourceAddress).toBe("1.1.1.1")
  })

  it("uses the default for other addresses and for an address that does not parse", () => {
    expect(normalized(setup, '{"Name":"n"}', "192.0.2.8").Name).toBe("n")
    expect(normalized(setup, '{"Name":"n"}', "").Name).toBe("n")
    expect(normalized(setup, '{"Name":"n"}', "not-an-address").Name).toBe("n")
    // The last choice is remembered per address; switching back and forth stays right.
    expect(refusal(setup, '{"Name":"n"}', "10.1.2.3")).toBe("not CEF: no CEF: header")
    expect(normalized(setup, '{"Name":"n"}', "192.0.2.8").Name).toBe("n")
  })
})

describe("Normalizer mappings", () => {
  it("maps dot paths of nested JSON with conversions, constants to fields and Extra, the rest by `unmapped`", () => {
    const mapped = compileSetup({
      kind: "json",
      mapping: [
        { source: "user.name", target: "SourceUserName", convert: ["trim", "lower"] },
        { source: "ts", target: "Timestamp", convert: "epochSeconds" },
        { source: "bytes", target: "BytesIn", convert: "number" },
        { source: "host", target: "DeviceHostName", convert: "upper" },
        { source: "seen", target: "StartTime", convert: "timestamp" },
        { constant: "Acme", target: "DeviceVendor" },
        { constant: 7, target: "Priority" },
        { constant: "2024-05-01T00:00:00Z", target: "EndTime" },
        { constant: 3, target: "Extra.level" }
      ],
      unmapped: "extra"
    })
    const event = normalized(mapped, '{"user":{"name":" BOB ","id":5},"ts":1714557600,"bytes":"12.5","host":"web01","seen":"May  1 09:00:00","x":[1,2]}')
    expect(parsedFields(event)).toEqual({
      Timestamp: 1_714_557_600_000,
      SourceUserName: "bob",
      BytesIn: 12.5,
      DeviceHostName: "WEB01",
      StartTime: Date.UTC(2024, 4, 1, 9),
      DeviceVendor: "Acme",
      Priority: 7,
      EndTime: Date.UTC(2024, 4, 1),
      Extra: { "user.id": "5", x: "[1,2]", level: "3" }
    })
  })

  it("with a mapping, unmapped fields are dropped by default; `default` keeps the kind's mapping, which the explicit entries override", () => {
    const raw = "CEF:0|A|B|1|1|n|1|src=1.1.1.1 dst=2.2.2.2 custom=x"
    const dropping = compileSetup({ kind: "cef", mapping: [{ source: "src", target: "DestinationAddress" }] })
    expect(parsedFields(normalized(dropping, raw))).toEqual({ Timestamp: receivedAt, DestinationAddress: "1.1.1.1" })
    const keeping = compileSetup({ kind: "cef", mapping: [{ source: "src", target: "DestinationAddress" }], unmapped: "default" })
    expect(normalized(keeping, raw)).toMatchObject({ DestinationAddress: "1.1.1.1", DeviceVendor: "A", Extra: { custom: "x" } })
    expect(normalized(keeping, raw).SourceAddress).toBeUndefined()
  })

  it("a value a conversion cannot read refuses the record, naming the source", () => {
    const mapped = compileSetup({ kind: "kv", mapping: [{ source: "n", target: "BytesIn", convert: "number" }, { source: "t", target: "Timestamp", convert: "timestamp" }] })
    expect(refusal(mapped, "n=lots")).toBe('n: cannot read "lots" as a number')
    expect(refusal(mapped, "t=soon")).toBe('t: cannot read "soon" as a timestamp')
    expect(refusal(compileSetup({ kind: "kv", mapping: [{ source: "p", target: "SourcePort" }] }), "p=ssh")).toBe('field SourcePort (from p): cannot read "ssh" as integer')
  })

  it("a source field that is missing or null writes nothing", () => {
    const mapped = compileSetup({ kind: "json", mapping: [{ source: "a.b", target: "Name" }, { source: "c", target: "Message" }] })
    expect(parsedFields(normalized(mapped, '{"a":{"x":1},"c":null}'))).toEqual({ Timestamp: receivedAt })
    expect(normalized(mapped, '{"a.b":"flat key wins"}').Name).toBe("flat key wins")
    expect(normalized(mapped, '{"a":"text"}').Name).toBeUndefined()
  })
})

describe("Normalizer sub-normalizers", () => {
  const syslogWithSubs = compileSetup({
    kind: "syslog",
    subNormalizers: [
      {
        field: "message",
        when: [{ field: "app", op: "=", value: "sshd" }, { field: "message", op: "startsWith", value: "Failed" }],
        normalizer: {
          kind: "regexp",
          pattern: "for (invalid user )?(?P<DestinationUserName>\\S+) from (?P<SourceAddress>[0-9.]+) port (?P<SourcePort>\\d+)"
        }
      },
      { field: "message", when: [{ field: "app", op: "regex", value: "^json" }], normalizer: "json" },
      { when: [{ op: "contains", value: "CEF:" }], normalizer: "cef" },
      { field: "message", when: [{ field: "host", op: "exists" }, { field: "app", op: "endsWith", value: "kv" }], normalizer: { kind: "kv" }, required: true }
    ]
  })

  it("applies a sub-normalizer to a field when its conditions hold", () => {
    const event = normalized(syslogWithSubs, "May  1 10:00:00 web01 sshd[42]: Failed password for root from 203.0.113.5 port 52311 ssh2")
    expect(event).toMatchObject({ DeviceProcessName: "sshd", DestinationUserName: "root", SourceAddress: "203.0.113.5", SourcePort: 52311 })
    const accepted = normalized(syslogWithSubs, "May  1 10:00:00 web01 sshd[42]: Accepted password for root from 203.0.113.5 port 52311 ssh2")
    expect(accepted.SourceAddress).toBeUndefined()
  })

  it("hands a JSON message to the json normalizer, whose fields are written over the syslog ones", () => {
    const event = normalized(syslogWithSubs, '<13>May  1 10:00:00 web01 jsonapp: {"Name":"from json","DeviceHostName":"inner","k":1}')
    expect(event).toMatchObject({ Name: "from json", DeviceHostName: "inner", DeviceProcessName: "jsonapp", Extra: { k: "1" } })
  })

  it("applies a sub-normalizer to the whole record text when it names no field", () => {
    const event = normalized(syslogWithSubs, "<13>May  1 10:00:00 relay fwd: CEF:0|Acme|GW|1|7|blocked|5|src=10.0.0.9")
    expect(event).toMatchObject({ DeviceVendor: "Acme", SourceAddress: "10.0.0.9", DeviceHostName: "relay" })
  })

  it("an optional sub-normalizer that does not fit leaves the record as it was; a required one refuses it", () => {
    const optional = normalized(syslogWithSubs, "<13>May  1 10:00:00 web01 jsonapp: not json at all")
    expect(optional.Message).toBe("not json at all")
    expect(refusal(syslogWithSubs, "<13>May  1 10:00:00 web01 appkv: no pairs here")).toBe("subNormalizers[3] (field message): no key=value pairs")
    expect(normalized(syslogWithSubs, "<13>May  1 10:00:00 web01 appkv: a=1").Extra).toEqual({ a: "1" })
  })

  it("a condition on a missing field holds only for !=", () => {
    const subs = compileSetup({
      kind: "kv",
      subNormalizers: [
        { when: [{ field: "missing", op: "!=", value: "x" }], normalizer: { kind: "regexp", pattern: "(?P<first>^\\S+)" } },
        { when: [{ field: "missing", op: "=", value: "" }], normalizer: { kind: "regexp", pattern: "(?P<second>^\\S+)" } }
      ]
    })
    expect(normalized(subs, "a=1").Extra).toEqual({ a: "1", first: "a=1" })
  })

  it("refuses sub-normalizers nested deeper than 8 levels at compile time", () => {
    let spec: NormalizerSpecEncoded = { kind: "kv" }
    for (let level = 0; level < 9; level++) spec = { kind: "kv", subNormalizers: [{ normalizer: spec }] }
    expect(() => compileSetup(spec)).toThrow(/nest deeper than 8 levels/)
  })
})

describe("Normalizer compile-time refusals", () => {
  const kv: NormalizerSpec = { kind: "kv", pairSeparator: " ", valueSeparator: "=", subNormalizers: [] }

  it("refuses a spec built in code with the path of the fault", () => {
    const badPattern: NormalizerSetup = { default: { kind: "regexp", pattern: "(?P<x>", subNormalizers: [] }, bySource: [] }
    expect(() => compileNormalizer(badPattern)).toThrow(InvalidNormalizer)
    expect(() => compileNormalizer(badPattern)).toThrow(/^default\.pattern: invalid regular expression/)
    const badAddress: NormalizerSetup = { default: kv, bySource: [{ addresses: ["10.0.0.0/8", "10.0.0.1/8"], normalizer: kv }] }
    expect(() => compileNormalizer(badAddress)).toThrow(/^bySource\[0\]\.addresses\[1\]: '10\.0\.0\.1\/8' is not an IP address or CIDR range/)
    const badTarget: NormalizerSetup = { default: { ...kv, mapping: [{ source: "a", target: "Nope", convert: [] }] }, bySource: [] }
    expect(() => compileNormalizer(badTarget)).toThrow(/^default\.mapping\[0\]\.target: unknown event field 'Nope'/)
    const badSub: NormalizerSetup = {
      default: { ...kv, subNormalizers: [{ when: [], required: false, normalizer: { ...kv, valueSeparator: " " } }] },
      bySource: []
    }
    expect(() => compileNormalizer(badSub)).toThrow(/^default\.subNormalizers\[0\]\.normalizer\.valueSeparator/)
  })

  it("refuses a constant its target cannot take, with the reason", () => {
    expect(() => compileSetup({ kind: "kv", mapping: [{ constant: "soon", target: "Timestamp" }] })).toThrow(/mapping\[0\]\.constant: field Timestamp[\s\S]*as a timestamp/)
    expect(() => compileSetup({ kind: "kv", mapping: [{ constant: "x", target: "SourcePort" }] })).toThrow(/"x" is not an integer, as SourcePort needs/)
    expect(() => compileSetup({ kind: "kv", mapping: [{ constant: "x", target: "BytesIn", convert: "number" }] })).toThrow(/cannot read "x" as a number/)
  })
})

describe("Normalizer bounds and bad input", () => {
  it("refuses a record over 4 MB for every kind, before parsing", () => {
    const huge = "a=" + "x".repeat(4 * 1024 * 1024)
    for (const setup of ["json", "cef", "syslog", "kv", "csv"] as const) {
      expect(refusal(compileSetup(setup), huge), setup).toContain("exceeds the 4 MB limit")
    }
  })

  it("takes a record of just under 4 MB", () => {
    const event = normalized(compileSetup("kv"), `msg=${"x".repeat(4 * 1024 * 1024 - 10)}`)
    expect(event.Extra?.msg).toHaveLength(4 * 1024 * 1024 - 10)
  })

  it("adversarial records of a million characters take linear time in every parser", () => {
    const million = 1_000_000
    const cases: ReadonlyArray<readonly [NormalizerSpecEncoded | "json" | "cef" | "syslog" | "kv" | "csv", string]> = [
      ["cef", "CEF:0|A|B|1|1|n|1|a=" + "b\\=".repeat(million / 3)],
      ["cef", "CEF:0|A|B|1|1|n|1|k=v " + "x:=".repeat(million / 3)],
      ["cef", "CEF:0|A|B|1|1|n|1|k=v" + " =".repeat(million / 2)],
      ["cef", "CEF:0|A|B|1|1|n|1|k=" + "\\".repeat(million)],
      ["kv", "a=1 " + "w ".repeat(million / 2)],
      ["kv", 'a="' + '\\"'.repeat(million / 2) + '"'],
      ["csv", '"' + '""'.repeat(million / 2) + '"'],
      ["syslog", '<1>1 - h a - - [x q="' + '\\"'.repeat(million / 2) + '"]'],
      ["syslog", "<1>May  1 10:00:00 h t[" + "1".repeat(million)],
      ["json", "[".repeat(million / 2) + "]".repeat(million / 2)],
      [{ kind: "regexp", pattern: "(?P<x>(a+)+)$" }, "a".repeat(million) + "b"]
    ]
    for (const [setup, raw] of cases) {
      const started = performance.now()
      checkResult(compileSetup(setup)(raw, "192.0.2.10", makeContext()), raw)
      // Quadratic work on a million characters would take minutes; linear work takes milliseconds.
      expect(performance.now() - started, JSON.stringify(setup)).toBeLessThan(3_000)
    }
  }, 60_000)

  it("random setups over random records never throw and keep the invariants", () => {
    const specs: Array<NormalizerSpecEncoded | "json" | "cef" | "syslog" | "kv" | "csv"> = [
      "json",
      "cef",
      "syslog",
      "kv",
      "csv",
      { kind: "kv", pairSeparator: ";", valueSeparator: ":", mapping: [{ source: "a", target: "SourcePort" }, { constant: "x", target: "Name" }], unmapped: "extra" },
      { kind: "json", mapping: [{ source: "a.b", target: "Timestamp", convert: "timestamp" }, { source: "c", target: "Extra.c", convert: ["lower", "trim"] }], unmapped: "default" },
      { kind: "syslog", subNormalizers: [{ field: "message", normalizer: "kv" }, { field: "app", when: [{ field: "host", op: "exists" }], normalizer: "json" }] },
      { kind: "csv", delimiter: "|", columns: ["Timestamp", "", "SourcePort"], subNormalizers: [{ field: "column4", normalizer: "cef", required: true }] },
      { kind: "regexp", pattern: "(?P<a>\\w+)=(?P<SourcePort>\\d*)", subNormalizers: [{ when: [{ op: "regex", value: "[{]" }], normalizer: "json" }] }
    ]
    const compiled = specs.map((spec) => compileSetup(spec))
    const context = makeContext()
    fc.assert(
      fc.property(fc.nat({ max: compiled.length - 1 }), fc.oneof(anyText, fc.json()), (index, raw) => {
        // Sub-normalizers read fields again, so values may repeat the record up to once per sub.
        checkResult(compiled[index]!(raw, "192.0.2.10", context), raw, 4)
      }),
      { numRuns: 20_000 }
    )
  }, 60_000)
})
