// The json normalizer: field mapping and coercion, Extra by dot path, the fields only the
// collector may stamp (tenant isolation, SPEC §1), and bad input as a result, never a throw.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { setFlagsFromString } from "node:v8"
import { decodeEventSync, type NormalizedEvent } from "../../model/Event.ts"
import { CollectorId, TenantId } from "../../model/Ids.ts"
import { normalizeJson, type NormalizeContext, type NormalizeResult } from "./JsonNormalizer.ts"
import { anyText, compileSetup, fuzz, nearValid } from "./NormalizerTesting.ts"

const receivedAt = Date.UTC(2024, 4, 1, 12, 0, 0, 250)

const makeContext = (overrides: Partial<NormalizeContext> = {}): NormalizeContext => ({
  tenantId: TenantId.make("tenant-2"),
  collectorId: CollectorId.make("collector-7"),
  collectorName: "Firewall collector",
  receivedAt,
  newId: () => crypto.randomUUID(),
  ...overrides
})

/** Normalizes a record that must succeed. */
const normalized = (record: unknown, context: NormalizeContext = makeContext()): NormalizedEvent => {
  const raw = typeof record === "string" ? record : JSON.stringify(record)
  const result = normalizeJson(raw, context)
  if (!result.ok) throw new Error(`expected success, got: ${result.reason}`)
  return result.event
}

/** Normalizes a record that must fail; returns the reason. */
const failure = (raw: string): string => {
  const result = normalizeJson(raw, makeContext())
  if (result.ok) throw new Error(`expected failure for: ${raw}`)
  return result.reason
}

const expectWellFormed = (result: NormalizeResult): void => {
  if (result.ok) expect(() => decodeEventSync(result.event)).not.toThrow()
  else expect(typeof result.reason).toBe("string")
}

describe("JsonNormalizer field mapping", () => {
  it("maps keys named like normalized fields onto those fields", () => {
    const event = normalized({
      Name: "login failed",
      SourceAddress: "10.0.0.1",
      SourcePort: 51234,
      DestinationUserName: "root",
      BytesIn: 12.5,
      BaseEventIDs: ["a", "b"]
    })
    expect(event).toMatchObject({
      Name: "login failed",
      SourceAddress: "10.0.0.1",
      SourcePort: 51234,
      DestinationUserName: "root",
      BytesIn: 12.5,
      BaseEventIDs: ["a", "b"]
    })
    expect(event.Extra).toBeUndefined()
  })

  it("coerces numeric strings into integer and number fields", () => {
    const event = normalized({ SourcePort: "443", DestinationProcessID: " 4242 ", Priority: "7", BytesOut: "1024.5", FileSize: "0" })
    expect(event.SourcePort).toBe(443)
    expect(event.DestinationProcessID).toBe(4242)
    expect(event.Priority).toBe(7)
    expect(event.BytesOut).toBe(1024.5)
    expect(event.FileSize).toBe(0)
  })

  it("coerces numbers and booleans into string fields", () => {
    const event = normalized({ Code: 4625, Severity: true, Message: false })
    expect(event.Code).toBe("4625")
    expect(event.Severity).toBe("true")
    expect(event.Message).toBe("false")
  })

  it("coerces array items of a string-list field to strings", () => {
    expect(normalized({ GroupedBy: ["SourceAddress", 1] }).GroupedBy).toEqual(["SourceAddress", "1"])
  })

  it("skips a typed field that is null or empty instead of failing", () => {
    const event = normalized({ SourcePort: null, BytesIn: "", Name: null, Timestamp: null })
    expect(event.SourcePort).toBeUndefined()
    expect(event.BytesIn).toBeUndefined()
    expect(event.Name).toBeUndefined()
    expect(event.Timestamp).toBe(receivedAt)
    expect("SourcePort" in event).toBe(false)
  })

  it("produces events that decode with the NormalizedEvent schema", () => {
    const event = normalized({ Name: "x", SourcePort: "22", Timestamp: "2024-05-01T10:00:00Z", user: { name: "bob" } })
    expect(decodeEventSync(event)).toEqual(event)
  })
})

describe("JsonNormalizer timestamps", () => {
  it("reads ISO-8601 strings, with Z or an offset, as UTC milliseconds", () => {
    expect(normalized({ Timestamp: "2024-05-01T10:00:00Z" }).Timestamp).toBe(Date.UTC(2024, 4, 1, 10, 0, 0))
    expect(normalized({ Timestamp: "2024-05-01T10:00:00.123Z" }).Timestamp).toBe(Date.UTC(2024, 4, 1, 10, 0, 0, 123))
    expect(normalized({ Timestamp: "2024-05-01T12:00:00+02:00" }).Timestamp).toBe(Date.UTC(2024, 4, 1, 10, 0, 0))
    expect(normalized({ Timestamp: "2024-05-01" }).Timestamp).toBe(Date.UTC(2024, 4, 1))
  })

  it("reads epoch seconds and epoch milliseconds numbers", () => {
    const seconds = 1_714_557_600
    expect(normalized({ Timestamp: seconds }).Timestamp).toBe(seconds * 1000)
    expect(normalized({ Timestamp: seconds * 1000 + 123 }).Timestamp).toBe(seconds * 1000 + 123)
    expect(normalized({ Timestamp: seconds + 0.5 }).Timestamp).toBe(seconds * 1000 + 500)
    expect(Number.isInteger(normalized({ Timestamp: seconds * 1000 + 0.9 }).Timestamp)).toBe(true)
  })

  it("parses StartTime and EndTime like Timestamp", () => {
    const event = normalized({ StartTime: 1_714_557_600, EndTime: "2024-05-01T10:00:05Z" })
    expect(event.StartTime).toBe(1_714_557_600_000)
    expect(event.EndTime).toBe(Date.UTC(2024, 4, 1, 10, 0, 5))
  })

  it("defaults Timestamp to the receipt time when the record has none", () => {
    expect(normalized({ Name: "x" }).Timestamp).toBe(receivedAt)
    expect(normalized({ Timestamp: "" }).Timestamp).toBe(receivedAt)
  })

  it("rejects a timestamp that is not a date", () => {
    expect(failure(JSON.stringify({ Timestamp: "yesterday" }))).toContain("Timestamp")
    expect(failure(JSON.stringify({ Timestamp: true }))).toContain("Timestamp")
    expect(failure(JSON.stringify({ StartTime: { at: 1 } }))).toContain("StartTime")
  })
})

describe("JsonNormalizer Extra", () => {
  it("puts unknown keys in Extra, stringifying numbers, booleans and arrays", () => {
    const event = normalized({ Name: "x", action: "deny", count: 5, blocked: false, tags: ["a", "b"] })
    expect(event.Extra).toEqual({ action: "deny", count: "5", blocked: "false", tags: '["a","b"]' })
  })

  it("flattens nested objects into Extra by dot path and drops nulls", () => {
    const event = normalized({ user: { name: "bob", geo: { country: "NL", city: null } }, empty: {}, gone: null })
    expect(event.Extra).toEqual({ "user.name": "bob", "user.geo.country": "NL" })
  })

  it("merges an input Extra object into Extra, flattened the same way", () => {
    const event = normalized({ Extra: { rule: "r1", detail: { level: 3 } }, other: "y" })
    expect(event.Extra).toEqual({ rule: "r1", "detail.level": "3", other: "y" })
  })

  it("keys differing only in case from a field name are not that field", () => {
    const event = normalized({ name: "lower", sourceport: "22" })
    expect(event.Name).toBeUndefined()
    expect(event.SourcePort).toBeUndefined()
    expect(event.Extra).toEqual({ name: "lower", sourceport: "22" })
  })
})

describe("JsonNormalizer stamping and tenant isolation", () => {
  it("stamps ID, TenantID, ServiceID, ServiceName, Type, ReceiptTime and Raw from the collector", () => {
    const id = crypto.randomUUID()
    const raw = '{ "Name": "x" }'
    const event = normalized(raw, makeContext({ newId: () => id }))
    expect(event).toEqual({
      ID: id,
      TenantID: "tenant-2",
      ServiceID: "collector-7",
      ServiceName: "Firewall collector",
      Type: 1,
      ReceiptTime: receivedAt,
      Raw: raw,
      Timestamp: receivedAt,
      Name: "x"
    })
  })

  it("takes a fresh ID from the collector for every record", () => {
    const context = makeContext()
    const first = normalized({ Name: "x" }, context)
    const second = normalized({ Name: "x" }, context)
    expect(first.ID).not.toBe(second.ID)
  })

  it("an input TenantID cannot override the collector's tenant", () => {
    const event = normalized({ TenantID: "main", Name: "spoof" })
    expect(event.TenantID).toBe("tenant-2")
    expect(event.Extra).toBeUndefined()
  })

  it("input ID, ServiceID, ServiceName, Type, ReceiptTime and Raw are ignored, not copied anywhere", () => {
    const id = crypto.randomUUID()
    const record = {
      ID: crypto.randomUUID(),
      TenantID: "tenant-3",
      ServiceID: "evil",
      ServiceName: "Evil",
      Type: 2,
      ReceiptTime: 5,
      Raw: "forged",
      Name: "x"
    }
    const raw = JSON.stringify(record)
    const event = normalized(raw, makeContext({ newId: () => id }))
    expect(event).toEqual({
      ID: id,
      TenantID: "tenant-2",
      ServiceID: "collector-7",
      ServiceName: "Firewall collector",
      Type: 1,
      ReceiptTime: receivedAt,
      Raw: raw,
      Timestamp: receivedAt,
      Name: "x"
    })
  })

  it("stamped fields cannot be smuggled in through an input Extra object", () => {
    const event = normalized({ Extra: { TenantID: "main" } })
    expect(event.TenantID).toBe("tenant-2")
    expect(event.Extra).toEqual({ TenantID: "main" })
  })
})

describe("JsonNormalizer bad input", () => {
  it("invalid JSON is a failure with a reason, not a throw", () => {
    for (const raw of ["", "{", "{'a': 1}", "not json", '{"a":1}}']) {
      expect(() => normalizeJson(raw, makeContext())).not.toThrow()
      expect(failure(raw), raw).toMatch(/^not JSON: /)
    }
  })

  it("JSON that is not an object is a failure", () => {
    for (const raw of ["[1,2]", "[]", '"text"', "42", "null", "true"]) {
      expect(failure(raw), raw).toBe("not a JSON object")
    }
  })

  it("a typed field whose value cannot be coerced is a failure naming the field and kind", () => {
    expect(failure('{"SourcePort":"ssh"}')).toBe('field SourcePort: cannot read "ssh" as integer')
    expect(failure('{"SourcePort":22.5}')).toBe("field SourcePort: cannot read 22.5 as integer")
    expect(failure('{"SourcePort":true}')).toContain("field SourcePort")
    expect(failure('{"BytesIn":"lots"}')).toBe('field BytesIn: cannot read "lots" as number')
    expect(failure('{"BytesIn":1e999}')).toContain("field BytesIn")
    expect(failure('{"Name":{"first":"x"}}')).toBe('field Name: cannot read {"first":"x"} as string')
    expect(failure('{"Name":["x"]}')).toContain("field Name")
    expect(failure('{"BaseEventIDs":"a,b"}')).toContain("field BaseEventIDs")
  })

  it("a failure's reason quotes at most 64 characters of the value", () => {
    const reason = failure(JSON.stringify({ SourcePort: "x".repeat(1000) }))
    expect(reason.length).toBeLessThan(120)
  })

  it("arbitrary strings never throw and give a failure or a schema-valid event", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.json()), (raw) => {
        const result = normalizeJson(raw, makeContext())
        expectWellFormed(result)
      }),
      { numRuns: 1000 }
    )
  })

  it("arbitrary JSON objects, field names included, never throw and never change the tenant", () => {
    const fieldNames = ["TenantID", "ID", "Type", "Timestamp", "SourcePort", "BytesIn", "Name", "Extra", "BaseEventIDs", "StartTime"]
    const keyArbitrary = fc.oneof(fc.constantFrom(...fieldNames), fc.string({ maxLength: 6 }))
    // Numbers stay within the safe-integer range of the event schema's Int fields.
    const { value: valueArbitrary } = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        fc.constant(null),
        fc.boolean(),
        fc.string({ maxLength: 8 }),
        fc.constantFrom("22", "1.5", "2024-05-01T10:00:00Z", "", " "),
        fc.integer(),
        fc.constant(1_714_557_600_123),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.array(tie("value"), { maxLength: 3 }),
        fc.dictionary(fc.string({ maxLength: 4 }), tie("value"), { maxKeys: 3 })
      )
    }))
    const recordArbitrary = fc.dictionary(keyArbitrary, valueArbitrary, { maxKeys: 6 })
    fc.assert(
      fc.property(recordArbitrary, (record) => {
        const result = normalizeJson(JSON.stringify(record), makeContext())
        expectWellFormed(result)
        if (result.ok) {
          expect(result.event.TenantID).toBe("tenant-2")
          expect(result.event.Type).toBe(1)
        }
      }),
      { numRuns: 1000 }
    )
  })
})

describe("JsonNormalizer regressions", () => {
  it("refuses objects nested deeper than the limit instead of overflowing the stack", () => {
    expect(failure('{"a":'.repeat(5_000) + "1" + "}".repeat(5_000))).toContain("nested deeper")
    expect(failure('{"Extra":' + '{"a":'.repeat(5_000) + "1" + "}".repeat(5_001))).toContain("nested deeper")
    expect(failure('{"a":' + "[".repeat(5_000) + "]".repeat(5_000) + "}")).toContain("nested deeper")
  })

  it("keeps moderately nested objects", () => {
    expect(normalized({ a: { b: { c: { d: "deep" } } } }).Extra).toEqual({ "a.b.c.d": "deep" })
  })

  it("refuses integers the event model cannot hold (unsafe or out of the time range)", () => {
    for (const record of ['{"SourcePort":"9007199254740993"}', '{"SourcePort":1e300}', '{"Timestamp":1e300}', '{"Timestamp":-1e13}']) {
      expect(normalizeJson(record, makeContext()).ok).toBe(false)
    }
  })

  it("reads an ISO time without an offset as UTC, whatever the host's zone", () => {
    expect(normalized({ Timestamp: "2024-01-01T00:00:00" }).Timestamp).toBe(Date.UTC(2024, 0, 1))
    expect(normalized({ Timestamp: "2024-01-01 00:00:00.5" }).Timestamp).toBe(Date.UTC(2024, 0, 1, 0, 0, 0, 500))
    expect(normalized({ Timestamp: "2024-01-01T00:00:00+02:00" }).Timestamp).toBe(Date.UTC(2023, 11, 31, 22))
  })
})

describe("JsonNormalizer bounds", () => {
  it("refuses a record over 4 MB before parsing it", () => {
    const big = JSON.stringify({ Message: "x".repeat(4 * 1024 * 1024) })
    expect(failure(big)).toContain("exceeds the 4 MB limit")
    expect(failure(JSON.stringify({ Message: "é".repeat(2 * 1024 * 1024 + 10) }))).toContain("bytes exceeds the 4 MB limit")
  })

  it("refuses more than 1,024 Extra entries, saying so", () => {
    const record = Object.fromEntries(Array.from({ length: 1_025 }, (_, index) => [`k${index}`, index]))
    expect(failure(JSON.stringify(record))).toBe("more than 1024 Extra entries in one record")
    expect(normalized(Object.fromEntries(Array.from({ length: 1_024 }, (_, index) => [`k${index}`, index]))).Extra).toHaveProperty("k1023", "1023")
  })

  it("refuses an Extra key over 1,024 characters and keys that repeat a long parent name past the budget", () => {
    expect(failure(JSON.stringify({ ["k".repeat(1_025)]: 1 }))).toContain("an Extra key is longer than 1024 characters")
    const parent = "p".repeat(1_000)
    const children = Object.fromEntries(Array.from({ length: 100 }, (_, index) => [`c${index}`, 1]))
    expect(failure(JSON.stringify({ [parent]: children }))).toContain("Extra keys of more than 65536 characters in total")
  })

  it("keeps an Extra key named __proto__ as an entry, not a prototype", () => {
    const event = normalized('{"__proto__":"x","a":{"__proto__":"y"}}')
    expect(Object.getPrototypeOf(event.Extra)).toBe(Object.prototype)
    expect(Object.keys(event.Extra ?? {})).toEqual(["__proto__", "a.__proto__"])
  })

  it("reads DeviceCustomDate fields as times, like Timestamp", () => {
    expect(normalized({ DeviceCustomDate1: "2024-05-01T10:00:00Z", DeviceCustomDate2: 1_714_557_600 })).toMatchObject({
      DeviceCustomDate1: Date.UTC(2024, 4, 1, 10),
      DeviceCustomDate2: 1_714_557_600_000
    })
  })

  it("events with many fields stay fast-mode objects (named stores), like JSON.parse output", () => {
    // V8 turns an object into a slow dictionary after 12 properties added by keyed stores; the
    // normalizer writes fields with named stores so events stay fast to read downstream.
    setFlagsFromString("--allow-natives-syntax")
    const hasFastProperties = new Function("object", "return %HasFastProperties(object)") as (object: object) => boolean
    const names = ["Name", "Message", "DeviceVendor", "DeviceProduct", "DeviceVersion", "DeviceEventClassID", "Severity", "SourceAddress", "SourcePort", "DestinationAddress", "DestinationPort", "SourceUserName", "DestinationUserName", "DeviceAction", "EventOutcome", "TransportProtocol", "ApplicationProtocol", "RequestUrl", "FileName", "Reason"]
    const event = normalized(Object.fromEntries(names.map((name) => [name, name.endsWith("Port") ? 1 : "x"])))
    expect(Object.keys(event)).toHaveLength(8 + names.length)
    expect(hasFastProperties(event)).toBe(true)
  })
})

describe("JsonNormalizer fuzzing", () => {
  it("100,000 fuzzed records (arbitrary text, edited JSON, nested objects) never throw and keep the invariants", () => {
    const fieldNames = ["TenantID", "tenantID", "ID", "Type", "Timestamp", "SourcePort", "BytesIn", "Name", "Extra", "BaseEventIDs", "StartTime", "__proto__"]
    const { value } = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        fc.constant(null),
        fc.boolean(),
        fc.string({ maxLength: 8 }),
        fc.constantFrom("22", "1.5", "2024-05-01T10:00:00Z", "May  1 10:00:00", "", " "),
        fc.integer(),
        fc.double({ noNaN: true }),
        fc.array(tie("value"), { maxLength: 3 }),
        fc.dictionary(fc.oneof(fc.constantFrom(...fieldNames), fc.string({ maxLength: 4 })), tie("value"), { maxKeys: 4 })
      )
    }))
    const objects = fc.dictionary(fc.oneof(fc.constantFrom(...fieldNames), fc.string({ maxLength: 6 })), value, { maxKeys: 6 }).map((record) => JSON.stringify(record))
    const json = compileSetup("json")
    const started = performance.now()
    const accepted = fuzz(json, fc.oneof(anyText, objects, nearValid(objects)), 100_000)
    console.log(`json fuzz: 100000 cases in ${Math.round(performance.now() - started)} ms, ${(accepted * 100).toFixed(1)}% accepted`)
    expect(accepted).toBeGreaterThan(0.05)
  }, 120_000)
})
