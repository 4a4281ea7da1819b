// A collector's normalizer compiled once from its setup (model/Normalizer.ts): the parser of each
// kind, the mapping, sub-normalizers and the choice by source address are resolved here, so the
// per-record path is plain calls over prepared tables. Every kind shares one stamping step: the
// collector, never the input, sets ID, TenantID, ServiceID, ServiceName, Type, ReceiptTime and Raw.
import { Either } from "effect"
import type { NormalizedEvent } from "../../model/Event.ts"
import * as IpAddress from "../../model/filter/IpAddress.ts"
import type { CollectorId, TenantId } from "../../model/Ids.ts"
import { MaxSubNormalizerDepth, normalizerSpecIssues, type NormalizerSetup, type NormalizerSpec, type SubNormalizer } from "../../model/Normalizer.ts"
import { compileCefParser, cefLayout } from "./CefNormalizer.ts"
import { compileCsvParser } from "./CsvNormalizer.ts"
import { EventDraft, extraText, type SpecRunner } from "./EventDraft.ts"
import { childPath, InvalidNormalizer } from "./InvalidNormalizer.ts"
import { jsonLayout, parseJsonRecord } from "./JsonNormalizer.ts"
import { compileKvParser } from "./KvNormalizer.ts"
import { compileRecordConditions } from "./RecordConditions.ts"
import { compileRecordMapping } from "./RecordMapping.ts"
import { Refusal } from "./Refusal.ts"
import { compileRegexpParser } from "./RegexpNormalizer.ts"
import { flatLayout, readerOf, type RecordLayout, type RecordParser, type SourceRecord } from "./SourceRecord.ts"
import { compileSyslogParser, syslogLayout } from "./SyslogNormalizer.ts"

export { InvalidNormalizer } from "./InvalidNormalizer.ts"

/** What the collector stamps on every event it normalizes. */
export interface NormalizeContext {
  readonly tenantId: TenantId
  readonly collectorId: CollectorId
  readonly collectorName: string
  readonly receivedAt: number
  readonly newId: () => string
}

/** An event of the collector's tenant, or why the record was refused (for the operator's sample). */
export type NormalizeResult = { readonly ok: true; readonly event: NormalizedEvent } | { readonly ok: false; readonly reason: string }

/**
 * Normalizes one raw record that came from `sourceAddress` (an IPv4 or IPv6 address; anything
 * else takes the default normalizer). Never throws for any input; not re-entrant.
 */
export type CompiledNormalizer = (raw: string, sourceAddress: string, context: NormalizeContext) => NormalizeResult

const parserOf = (spec: NormalizerSpec, path: string): RecordParser => {
  switch (spec.kind) {
    case "json":
      return parseJsonRecord
    case "cef":
      return compileCefParser()
    case "syslog":
      return compileSyslogParser(spec)
    case "kv":
      return compileKvParser(spec)
    case "regexp":
      return compileRegexpParser(spec, path)
    case "csv":
      return compileCsvParser(spec)
  }
}

const layoutOf = (spec: NormalizerSpec): RecordLayout => {
  switch (spec.kind) {
    case "json":
      return jsonLayout
    case "cef":
      return cefLayout
    case "syslog":
      return syslogLayout
    default:
      return flatLayout
  }
}

type SubRunner = (record: SourceRecord, text: string, draft: EventDraft) => void

const compileSpec = (spec: NormalizerSpec, path: string, depth: number): SpecRunner => {
  if (depth > MaxSubNormalizerDepth) throw new InvalidNormalizer(path, `sub-normalizers nest deeper than ${MaxSubNormalizerDepth} levels`)
  const issue = normalizerSpecIssues(spec)[0]
  if (issue !== undefined) throw new InvalidNormalizer(issue.path.reduce<string>((at, step) => childPath(at, typeof step === "number" ? step : String(step)), path), issue.message)
  const parse = parserOf(spec, path)
  const layout = layoutOf(spec)
  const map = compileRecordMapping(spec, layout, path)
  const subs = spec.subNormalizers.map((sub, index) => compileSub(sub, layout.nested, childPath(childPath(path, "subNormalizers"), index), depth))
  if (subs.length === 0) return (text, draft) => map(parse(text, draft.receivedAt), draft)
  return (text, draft) => {
    const record = parse(text, draft.receivedAt)
    map(record, draft)
    for (let i = 0; i < subs.length; i++) subs[i]!(record, text, draft)
  }
}

const compileSub = (sub: SubNormalizer, nested: boolean, path: string, depth: number): SubRunner => {
  const holds = compileRecordConditions(sub.when, nested, childPath(path, "when"))
  const read = sub.field === undefined ? undefined : readerOf(sub.field, nested)
  const run = compileSpec(sub.normalizer, childPath(path, "normalizer"), depth + 1)
  const label = `${path.slice(path.indexOf("subNormalizers"))}${sub.field === undefined ? "" : ` (field ${sub.field})`}`
  const required = sub.required
  return (record, text, draft) => {
    if (!holds(record, text)) return
    try {
      if (read === undefined) run(text, draft)
      else {
        // A nested JSON value is handed on as JSON text.
        const input = extraText(read(record), 1)
        if (input !== undefined) run(input, draft)
      }
    } catch (error) {
      if (!(error instanceof Refusal)) throw error
      if (required) throw new Refusal(`${label}: ${error.reason}`)
      // An optional sub-normalizer that does not fit leaves the record as the enclosing one made it.
    }
  }
}

interface Route {
  readonly ranges: ReadonlyArray<IpAddress.Cidr>
  readonly run: SpecRunner
}

/**
 * Compiles a setup into one normalizer function; throws InvalidNormalizer (with the path in the
 * setup) when a spec cannot run: a bad pattern, address, target or constant.
 */
export const compileNormalizer = (setup: NormalizerSetup): CompiledNormalizer => {
  const fallback = compileSpec(setup.default, "default", 0)
  const routes: Array<Route> = setup.bySource.map((entry, index) => {
    const path = childPath(childPath("", "bySource"), index)
    const ranges = entry.addresses.map((text, addressIndex) => {
      const parsed = IpAddress.parseCidr(text)
      if (Either.isLeft(parsed)) throw new InvalidNormalizer(childPath(childPath(path, "addresses"), addressIndex), `'${text}' is not an IP address or CIDR range: ${parsed.left}`)
      return parsed.right
    })
    return { ranges, run: compileSpec(entry.normalizer, childPath(path, "normalizer"), 0) }
  })
  const draft = new EventDraft()
  if (routes.length === 0) return (raw, _sourceAddress, context) => draft.run(raw, context, fallback)
  // Records of one connection share their address: the last choice is kept.
  const words = IpAddress.makeWords()
  let lastAddress = ""
  let lastRun = fallback
  const choose = (address: string): SpecRunner => {
    if (address === lastAddress) return lastRun
    let run = fallback
    if (IpAddress.parseInto(address, words)) {
      search: for (let i = 0; i < routes.length; i++) {
        const route = routes[i]!
        for (let j = 0; j < route.ranges.length; j++) {
          if (IpAddress.contains(route.ranges[j]!, words)) {
            run = route.run
            break search
          }
        }
      }
    }
    lastAddress = address
    lastRun = run
    return run
  }
  return (raw, sourceAddress, context) => draft.run(raw, context, choose(sourceAddress))
}
