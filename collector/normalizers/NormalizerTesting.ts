// Test support for the normalizer tests (not used in production): a collector context, helpers
// that normalize and insist on success or refusal, the invariants every result must hold, and
// near-valid record generators (random edits of valid records) for property fuzzing.
import * as fc from "fast-check"
import type { NormalizedEvent } from "../../model/Event.ts"
import { CollectorId, TenantId } from "../../model/Ids.ts"
import { decodeNormalizerSetupSync, type NormalizerSetupEncoded } from "../../model/Normalizer.ts"
import { MinExtraKeyBudget } from "./EventDraft.ts"
import { compileNormalizer, type CompiledNormalizer, type NormalizeContext, type NormalizeResult } from "./Normalizer.ts"
import { MaxFieldsPerRecord } from "./Refusal.ts"

export const receivedAt = Date.UTC(2024, 4, 1, 12, 0, 0, 250)
export const tenantId = TenantId.make("tenant-2")
export const collectorId = CollectorId.make("collector-7")
export const collectorName = "Firewall collector"
export const fixedId = "00000000-0000-4000-8000-000000000007"

/** The collector's context; every event gets `fixedId` unless `newId` is overridden. */
export const makeContext = (overrides: Partial<NormalizeContext> = {}): NormalizeContext => ({
  tenantId,
  collectorId,
  collectorName,
  receivedAt,
  newId: () => fixedId,
  ...overrides
})

/** Decodes a setup as a deployment file would give it, and compiles it. */
export const compileSetup = (setup: NormalizerSetupEncoded): CompiledNormalizer => compileNormalizer(decodeNormalizerSetupSync(setup))

/** Normalizes a record that must be accepted. */
export const normalized = (normalize: CompiledNormalizer, raw: string, sourceAddress = "192.0.2.10", context = makeContext()): NormalizedEvent => {
  const result = normalize(raw, sourceAddress, context)
  if (!result.ok) throw new Error(`expected an event, got the refusal: ${result.reason}`)
  return result.event
}

/** Normalizes a record that must be refused; returns the reason. */
export const refusal = (normalize: CompiledNormalizer, raw: string, sourceAddress = "192.0.2.10"): string => {
  const result = normalize(raw, sourceAddress, makeContext())
  if (result.ok) throw new Error(`expected a refusal for ${JSON.stringify(raw.slice(0, 200))}, got ${JSON.stringify(result.event)}`)
  return result.reason
}

/** The event without the fields every event carries from the collector, for readable expectations. */
export const parsedFields = (event: NormalizedEvent): Partial<NormalizedEvent> => {
  const { ID: _id, TenantID: _tenant, ServiceID: _service, ServiceName: _name, Type: _type, ReceiptTime: _receipt, Raw: _raw, ...rest } = event
  return rest
}

const Stamped = ["ID", "TenantID", "ServiceID", "ServiceName", "Type", "ReceiptTime", "Raw"]

/** Characters an event holds beyond its Raw record and the collector's stamp. */
const measure = (event: NormalizedEvent): { values: number; extraKeys: number; extraEntries: number } => {
  let values = 0
  let extraKeys = 0
  let extraEntries = 0
  for (const [key, value] of Object.entries(event)) {
    if (Stamped.includes(key)) continue
    if (typeof value === "string") values += value.length
    else if (Array.isArray(value)) for (const item of value) values += String(item).length
    else if (key === "Extra" && value !== null && typeof value === "object") {
      for (const [extraKey, extraValue] of Object.entries(value as Record<string, string>)) {
        extraEntries++
        extraKeys += extraKey.length
        values += extraValue.length
      }
    }
  }
  return { values, extraKeys, extraEntries }
}

/**
 * The invariants of any result, checked with plain comparisons (cheap enough for 100,000 cases):
 * a refusal has a short non-empty reason; an event carries the collector's tenant, ID, service,
 * type, receipt time and the raw record, a whole-millisecond timestamp, at most 1,024 Extra
 * entries within the key budget, and values no longer than `valueFactor` times the record.
 */
export const checkResult = (result: NormalizeResult, raw: string, valueFactor = 2): void => {
  if (!result.ok) {
    if (typeof result.reason !== "string" || result.reason.length === 0 || result.reason.length > 1_024) {
      throw new Error(`a refusal needs a short reason, got ${JSON.stringify(result.reason)}`)
    }
    return
  }
  const event = result.event
  if (event.TenantID !== tenantId || event.ID !== fixedId || event.Type !== 1 || event.ServiceID !== collectorId) {
    throw new Error(`the collector's stamp is missing or overridden: ${JSON.stringify(event).slice(0, 500)}`)
  }
  if (event.ServiceName !== collectorName || event.ReceiptTime !== receivedAt || event.Raw !== raw) throw new Error("ServiceName, ReceiptTime or Raw is not the collector's")
  if (!Number.isSafeInteger(event.Timestamp) || event.Timestamp < 0) throw new Error(`Timestamp is not epoch milliseconds: ${event.Timestamp}`)
  const size = measure(event)
  if (size.extraEntries > MaxFieldsPerRecord) throw new Error(`${size.extraEntries} Extra entries`)
  if (size.extraKeys > Math.max(MinExtraKeyBudget, 2 * raw.length)) throw new Error(`${size.extraKeys} characters of Extra keys for ${raw.length} of record`)
  if (size.values > valueFactor * raw.length + 64) throw new Error(`${size.values} characters of values for a record of ${raw.length}`)
}

/** Runs `normalize` on every generated record and checks each result; returns the accepted share. */
export const fuzz = (normalize: CompiledNormalizer, records: fc.Arbitrary<string>, numRuns: number, valueFactor = 2): number => {
  const context = makeContext()
  let accepted = 0
  fc.assert(
    fc.property(records, (raw) => {
      const result = normalize(raw, "192.0.2.10", context)
      checkResult(result, raw, valueFactor)
      if (result.ok) accepted++
    }),
    { numRuns }
  )
  return accepted / numRuns
}

const Specials = ["|", "\\", "=", " ", '"', "[", "]", "<", ">", ":", ",", ";", "\n", "\r", "\t", "\u0000", "\uFEFF", "-", ".", "{", "}", "é", "😀", "\uD800"]

/** One character likely to matter to some parser, or any character. */
export const fuzzChar: fc.Arbitrary<string> = fc.oneof(fc.constantFrom(...Specials), fc.string({ unit: "binary", minLength: 1, maxLength: 1 }))

type Edit = { readonly at: number; readonly kind: "insert" | "delete" | "replace" | "duplicate"; readonly text: string }

const edit: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom("insert", "delete", "replace", "duplicate"),
  text: fc.oneof(fuzzChar, fc.string({ maxLength: 4 }))
})

/** A valid record with up to three random edits (insert, delete, replace, duplicate a stretch). */
export const nearValid = (valid: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(valid, fc.array(edit, { minLength: 0, maxLength: 3 })).map(([record, edits]) => {
    let text = record
    for (const { at, kind, text: piece } of edits) {
      const position = text.length === 0 ? 0 : at % (text.length + 1)
      if (kind === "insert") text = text.slice(0, position) + piece + text.slice(position)
      else if (kind === "delete") text = text.slice(0, position) + text.slice(position + 1 + (at % 3))
      else if (kind === "replace") text = text.slice(0, position) + piece + text.slice(position + piece.length)
      else text = text.slice(0, position) + text.slice(position, position + 1 + (at % 8)).repeat(2) + text.slice(position + 1 + (at % 8))
    }
    return text
  })

/** Arbitrary text, of any characters or of those parsers care about. */
export const anyText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.array(fuzzChar, { maxLength: 40 }).map((chars) => chars.join(""))
)
