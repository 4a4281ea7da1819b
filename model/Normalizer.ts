// Normalizers (SPEC §3): how a collector reads raw records of one format (json, cef, syslog, kv,
// regexp, csv) into normalized events, with field mapping, constants, conversions, sub-normalizers
// chosen by conditions on the parsed record, and a choice of normalizer per source address.
import { Either, Schema } from "effect"
import { RE2JS } from "re2js"
import { EventFieldKinds, isEventFieldName, type EventFieldName } from "./Event.ts"
import * as IpAddress from "./filter/IpAddress.ts"

/** Fields only the collector sets: a mapping may not target them and input never reaches them. */
export const StampedFields: ReadonlySet<EventFieldName> = new Set<EventFieldName>(["ID", "TenantID", "ServiceID", "ServiceName", "ReceiptTime", "Raw", "Type"])

/** Integer fields that hold times (epoch milliseconds, UTC): text and epoch seconds are read as times. */
export const TimeFields: ReadonlySet<EventFieldName> = new Set<EventFieldName>(["Timestamp", "StartTime", "EndTime", "DeviceCustomDate1", "DeviceCustomDate2"])

/** Most sub-normalizers nested inside one another. */
export const MaxSubNormalizerDepth = 8
/** Longest Extra key, from a mapping or from a record. */
export const MaxExtraKeyLength = 1_024

const optional = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { exact: true })
const withDefault = <S extends Schema.Schema.AnyNoContext>(schema: S, value: () => Schema.Schema.Type<S>) =>
  Schema.optionalWith(schema, { exact: true, default: value })

/** One issue found in a spec: where (relative to the checked object) and why. */
export interface SpecIssue {
  readonly path: ReadonlyArray<PropertyKey>
  readonly message: string
}

/**
 * A conversion applied to a source value before it is written: `lower`, `upper`, `trim` on text;
 * `number` reads text as a number; `timestamp` reads any supported time text or epoch number as
 * epoch milliseconds; `epochSeconds` and `epochMillis` read a number of that unit.
 */
export const Conversion = Schema.Literal("lower", "upper", "trim", "number", "timestamp", "epochSeconds", "epochMillis")
export type Conversion = typeof Conversion.Type

const Conversions = Schema.Union(
  Schema.Array(Conversion),
  Conversion.pipe(Schema.transform(Schema.Array(Conversion), { strict: true, decode: (one) => [one], encode: (many) => many[0] ?? "trim" }))
)

/** What a mapping target names: an event field, or an Extra entry. */
export type MappingTarget = { readonly kind: "field"; readonly name: EventFieldName } | { readonly kind: "extra"; readonly key: string }

/** Resolves `Extra.<key>` or a field name, or says why it cannot be a target. */
export const resolveTarget = (target: string): MappingTarget | string => {
  if (target.startsWith("Extra.")) {
    const key = target.slice("Extra.".length)
    if (key.length === 0) return "an Extra target needs a key: Extra.<key>"
    if (key.length > MaxExtraKeyLength) return `an Extra key is at most ${MaxExtraKeyLength} characters`
    return { kind: "extra", key }
  }
  if (!isEventFieldName(target)) return `unknown event field '${target}' (use Extra.<key> for other names)`
  if (StampedFields.has(target)) return `${target} is set by the collector, never by a normalizer`
  if (target === "Extra") return "Extra is a map: name one entry as Extra.<key>"
  return { kind: "field", name: target }
}

/**
 * Writes one normalized field: from `source` (a field of the parsed record; a dot path into
 * nested JSON objects), or a `constant`; `convert` runs first, then the value is read as the
 * target's type. A value that cannot be read so fails the record, naming the field.
 */
export const FieldMapping = Schema.Struct({
  source: optional(Schema.NonEmptyString),
  target: Schema.String,
  constant: optional(Schema.Union(Schema.String, Schema.Number)),
  convert: withDefault(Conversions, () => [])
}).pipe(Schema.filter((mapping) => mappingIssues(mapping), { identifier: "FieldMapping" }))
export type FieldMapping = typeof FieldMapping.Type

const NumericText = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/

const mappingIssues = (mapping: {
  readonly source?: string
  readonly target: string
  readonly constant?: string | number
  readonly convert: ReadonlyArray<Conversion>
}): Array<SpecIssue> => {
  const issues: Array<SpecIssue> = []
  const target = resolveTarget(mapping.target)
  if (typeof target === "string") issues.push({ path: ["target"], message: target })
  if ((mapping.source === undefined) === (mapping.constant === undefined)) {
    issues.push({ path: [], message: "give exactly one of source and constant" })
  }
  const constant = mapping.constant
  if (constant !== undefined && typeof target !== "string" && target.kind === "field" && mapping.convert.length === 0) {
    const kind = EventFieldKinds[target.name]
    const numeric = typeof constant === "number" ? Number.isFinite(constant) : NumericText.test(constant)
    if (kind === "strings") issues.push({ path: ["constant"], message: `${target.name} is a list; a constant cannot fill it` })
    else if (kind === "integer" && !TimeFields.has(target.name) && !(numeric && Number.isSafeInteger(Number(constant)))) {
      issues.push({ path: ["constant"], message: `${JSON.stringify(constant)} is not an integer, as ${target.name} needs` })
    } else if (kind === "number" && !numeric) issues.push({ path: ["constant"], message: `${JSON.stringify(constant)} is not a number, as ${target.name} needs` })
  }
  return issues
}

/** Compiles an RE2 pattern or says why it is refused. */
export const compileRe2 = (pattern: string): RE2JS | string => {
  try {
    return RE2JS.compile(pattern)
  } catch (error) {
    return `invalid regular expression: ${error instanceof Error ? error.message : String(error)}`
  }
}

/**
 * A condition on the parsed record of the enclosing normalizer, KUMA style. It is a small list of
 * its own rather than the filter language of model/Filter.ts, because that language resolves
 * names against the normalized model and compares by the model's types, while raw records have
 * free-form names (`app`, `sd.origin.ip`, `user.name`) and text values. `field` is a record field
 * (a dot path for JSON); without it the condition tests the whole record text. Text tests are
 * case-sensitive; `regex` searches with RE2 (linear time) unless anchored; `exists` holds for a
 * non-empty value; a missing field satisfies only `!=`. A sub-normalizer's `when` list must all hold.
 */
export const RecordCondition = Schema.Union(
  Schema.Struct({
    field: optional(Schema.NonEmptyString),
    op: Schema.Literal("=", "!=", "contains", "startsWith", "endsWith"),
    value: Schema.Union(Schema.String, Schema.Number)
  }),
  Schema.Struct({
    field: optional(Schema.NonEmptyString),
    op: Schema.Literal("regex"),
    value: Schema.String.pipe(
      Schema.filter(
        (pattern) => {
          const compiled = compileRe2(pattern)
          return typeof compiled === "string" ? compiled : undefined
        },
        { identifier: "RegularExpression" }
      )
    )
  }),
  Schema.Struct({
    field: Schema.NonEmptyString,
    op: Schema.Literal("exists")
  })
).annotations({ identifier: "RecordCondition" })
export type RecordCondition = typeof RecordCondition.Type

/**
 * What happens to record fields no explicit mapping reads: `default` applies the kind's default
 * mapping (fields named like normalized fields, and the format's standard keys, map onto them;
 * the rest go to Extra), `extra` puts them all in Extra, `drop` forgets them. The default is
 * `default` without a mapping and `drop` with one (KUMA keeps only what is mapped).
 */
export const Unmapped = Schema.Literal("default", "extra", "drop")
export type Unmapped = typeof Unmapped.Type

export type NormalizerKind = "json" | "cef" | "syslog" | "kv" | "regexp" | "csv"

interface CommonSpec {
  readonly mapping?: ReadonlyArray<FieldMapping>
  readonly unmapped?: Unmapped
  readonly subNormalizers: ReadonlyArray<SubNormalizer>
}
/** One JSON object per record; nested objects by dot path. */
export interface JsonSpec extends CommonSpec { readonly kind: "json" }
/** ArcSight CEF, optionally after a syslog header. */
export interface CefSpec extends CommonSpec { readonly kind: "cef" }
/** Syslog, RFC 3164 or RFC 5424 (`auto` tells them apart by the version after PRI). */
export interface SyslogSpec extends CommonSpec { readonly kind: "syslog"; readonly format: "auto" | "rfc3164" | "rfc5424" }
/** key=value pairs; values may be quoted with "..." (\" and \\ escaped inside). */
export interface KvSpec extends CommonSpec { readonly kind: "kv"; readonly pairSeparator: string; readonly valueSeparator: string }
/** An RE2 pattern whose named groups become the record's fields. */
export interface RegexpSpec extends CommonSpec { readonly kind: "regexp"; readonly pattern: string }
/** One CSV row per record (RFC 4180 quoting); `columns` name the fields, in order. */
export interface CsvSpec extends CommonSpec { readonly kind: "csv"; readonly delimiter: string; readonly columns?: ReadonlyArray<string> }

/** A normalizer of one kind. */
export type NormalizerSpec = JsonSpec | CefSpec | SyslogSpec | KvSpec | RegexpSpec | CsvSpec

/**
 * A normalizer applied after the enclosing one when every condition in `when` holds: to the text of
 * record field `field` (a nested JSON value as JSON text), or to the whole record text without one.
 * Every sub-normalizer whose conditions hold runs, in order, and what it maps is written over the
 * fields before it. When one fails, the record keeps what was mapped so far, unless `required`,
 * when the record is refused.
 */
export interface SubNormalizer {
  readonly field?: string
  readonly when: ReadonlyArray<RecordCondition>
  readonly normalizer: NormalizerSpec
  readonly required: boolean
}

/** The plain names accepted where a normalizer is expected: the kind with its defaults. */
export type NormalizerShorthand = "json" | "cef" | "syslog" | "kv" | "csv"

interface CommonEncoded {
  readonly mapping?: ReadonlyArray<typeof FieldMapping.Encoded>
  readonly unmapped?: Unmapped
  readonly subNormalizers?: ReadonlyArray<SubNormalizerEncoded>
}
export type NormalizerSpecEncoded =
  | (CommonEncoded & { readonly kind: "json" })
  | (CommonEncoded & { readonly kind: "cef" })
  | (CommonEncoded & { readonly kind: "syslog"; readonly format?: "auto" | "rfc3164" | "rfc5424" })
  | (CommonEncoded & { readonly kind: "kv"; readonly pairSeparator?: string; readonly valueSeparator?: string })
  | (CommonEncoded & { readonly kind: "regexp"; readonly pattern: string })
  | (CommonEncoded & { readonly kind: "csv"; readonly delimiter?: string; readonly columns?: ReadonlyArray<string> })
export interface SubNormalizerEncoded {
  readonly field?: string
  readonly when?: ReadonlyArray<typeof RecordCondition.Encoded>
  readonly normalizer: NormalizerShorthand | NormalizerSpecEncoded
  readonly required?: boolean
}

const common = {
  mapping: optional(Schema.Array(FieldMapping)),
  unmapped: optional(Unmapped),
  subNormalizers: withDefault(Schema.Array(Schema.suspend((): Schema.Schema<SubNormalizer, SubNormalizerEncoded> => SubNormalizerSchema)), () => [])
}

const JsonSpecSchema = Schema.Struct({ kind: Schema.Literal("json"), ...common }).annotations({ identifier: "JsonNormalizer" })
const CefSpecSchema = Schema.Struct({ kind: Schema.Literal("cef"), ...common }).annotations({ identifier: "CefNormalizer" })
const SyslogSpecSchema = Schema.Struct({
  kind: Schema.Literal("syslog"),
  format: withDefault(Schema.Literal("auto", "rfc3164", "rfc5424"), () => "auto" as const),
  ...common
}).annotations({ identifier: "SyslogNormalizer" })
const KvSpecSchema = Schema.Struct({
  kind: Schema.Literal("kv"),
  pairSeparator: withDefault(Schema.String, () => " "),
  valueSeparator: withDefault(Schema.String, () => "="),
  ...common
}).pipe(Schema.filter((spec) => kvIssues(spec), { identifier: "KvNormalizer" }))
const RegexpSpecSchema = Schema.Struct({ kind: Schema.Literal("regexp"), pattern: Schema.String, ...common }).pipe(
  Schema.filter((spec) => regexpIssues(spec), { identifier: "RegexpNormalizer" })
)
const CsvSpecSchema = Schema.Struct({
  kind: Schema.Literal("csv"),
  delimiter: withDefault(Schema.String, () => ","),
  columns: optional(Schema.Array(Schema.String)),
  ...common
}).pipe(Schema.filter((spec) => csvIssues(spec), { identifier: "CsvNormalizer" }))

const kvIssues = (spec: { readonly pairSeparator: string; readonly valueSeparator: string }): Array<SpecIssue> => {
  const issues: Array<SpecIssue> = []
  for (const name of ["pairSeparator", "valueSeparator"] as const) {
    const separator = spec[name]
    if (separator.length === 0 || separator.length > 8) issues.push({ path: [name], message: "a separator has 1 to 8 characters" })
    else if (separator.includes('"') || separator.includes("\\")) issues.push({ path: [name], message: 'a separator cannot contain " or \\ (they quote and escape values)' })
  }
  if (issues.length === 0 && (spec.pairSeparator.includes(spec.valueSeparator) || spec.valueSeparator.includes(spec.pairSeparator))) {
    issues.push({ path: ["valueSeparator"], message: "the pair and value separators must not contain one another" })
  }
  return issues
}

/** The named groups of a regexp normalizer's pattern, or why the pattern is refused. */
export const namedGroupsOf = (pattern: string): { readonly regex: RE2JS; readonly groups: ReadonlyArray<readonly [string, number]> } | string => {
  const regex = compileRe2(pattern)
  if (typeof regex === "string") return regex
  const groups: Array<readonly [string, number]> = []
  const named = regex.namedGroups()
  for (const name in named) groups.push([name, named[name]!])
  if (groups.length === 0) return "the pattern has no named groups ((?P<name>...) or (?<name>...)): nothing would be read"
  return { regex, groups }
}

const regexpIssues = (spec: { readonly pattern: string; readonly mapping?: ReadonlyArray<FieldMapping> }): Array<SpecIssue> => {
  const compiled = namedGroupsOf(spec.pattern)
  if (typeof compiled === "string") return [{ path: ["pattern"], message: compiled }]
  const names = new Set(compiled.groups.map(([name]) => name))
  return sourceIssues(spec.mapping, (source) => (names.has(source) ? undefined : `the pattern has no group named '${source}'`))
}

const CsvColumn = /^column[1-9]\d*$/

const csvIssues = (spec: { readonly delimiter: string; readonly columns?: ReadonlyArray<string>; readonly mapping?: ReadonlyArray<FieldMapping> }): Array<SpecIssue> => {
  const issues: Array<SpecIssue> = []
  if (spec.delimiter.length !== 1 || spec.delimiter === '"' || spec.delimiter === "\r" || spec.delimiter === "\n") {
    issues.push({ path: ["delimiter"], message: 'the delimiter is one character other than ", CR and LF' })
  }
  const columns = spec.columns
  if (columns !== undefined) {
    const seen = new Set<string>()
    columns.forEach((name, index) => {
      if (name === "") return
      if (seen.has(name)) issues.push({ path: ["columns", index], message: `column '${name}' is named twice` })
      seen.add(name)
    })
    issues.push(...sourceIssues(spec.mapping, (source) => (seen.has(source) || CsvColumn.test(source) ? undefined : `no column is named '${source}'`)))
  }
  return issues
}

const sourceIssues = (mapping: ReadonlyArray<FieldMapping> | undefined, check: (source: string) => string | undefined): Array<SpecIssue> => {
  const issues: Array<SpecIssue> = []
  mapping?.forEach((entry, index) => {
    const message = entry.source === undefined ? undefined : check(entry.source)
    if (message !== undefined) issues.push({ path: ["mapping", index, "source"], message })
  })
  return issues
}

/** Checks one spec's own settings (not its sub-normalizers); an empty list means it compiles. */
export const normalizerSpecIssues = (spec: NormalizerSpec): Array<SpecIssue> => {
  const issues: Array<SpecIssue> = []
  spec.mapping?.forEach((entry, index) => {
    for (const issue of mappingIssues(entry)) issues.push({ path: ["mapping", index, ...issue.path], message: issue.message })
  })
  spec.subNormalizers.forEach((sub, index) => {
    sub.when.forEach((condition, conditionIndex) => {
      if (condition.op !== "regex") return
      const compiled = compileRe2(condition.value)
      if (typeof compiled === "string") issues.push({ path: ["subNormalizers", index, "when", conditionIndex, "value"], message: compiled })
    })
  })
  switch (spec.kind) {
    case "kv":
      return [...issues, ...kvIssues(spec)]
    case "regexp":
      return [...issues, ...regexpIssues(spec)]
    case "csv":
      return [...issues, ...csvIssues(spec)]
    default:
      return issues
  }
}

const SpecSchema: Schema.Schema<NormalizerSpec, NormalizerSpecEncoded> = Schema.Union(
  JsonSpecSchema,
  CefSpecSchema,
  SyslogSpecSchema,
  KvSpecSchema,
  RegexpSpecSchema,
  CsvSpecSchema
).annotations({ identifier: "NormalizerSpec" })

/** Rewrites the input before `to` decodes it (encoding passes through), so errors come from `to` alone. */
const rewriteInput = <A, I>(to: Schema.Schema<A, I>, rewrite: (input: unknown) => unknown): Schema.Schema<A, I> =>
  Schema.compose(
    Schema.transform(Schema.Unknown, Schema.Unknown, { strict: true, decode: rewrite, encode: (value) => value }),
    to as Schema.Schema<A, unknown>,
    { strict: false }
  ) as unknown as Schema.Schema<A, I>

/**
 * A normalizer spec, or its kind alone (`"json"`) for that kind with its defaults; `"regexp"` alone
 * is refused for its missing pattern.
 */
export const NormalizerSpec: Schema.Schema<NormalizerSpec, NormalizerShorthand | NormalizerSpecEncoded> = rewriteInput(
  SpecSchema as Schema.Schema<NormalizerSpec, NormalizerShorthand | NormalizerSpecEncoded>,
  (input) => (typeof input === "string" ? { kind: input } : input)
).annotations({ identifier: "Normalizer" })

const SubNormalizerSchema: Schema.Schema<SubNormalizer, SubNormalizerEncoded> = Schema.Struct({
  field: optional(Schema.NonEmptyString),
  when: withDefault(Schema.Array(RecordCondition), () => []),
  normalizer: Schema.suspend(() => NormalizerSpec),
  required: withDefault(Schema.Boolean, () => false)
}).annotations({ identifier: "SubNormalizer" })
export { SubNormalizerSchema as SubNormalizer }

/** A source address or range: an IPv4 or IPv6 address, or a CIDR range. */
export const SourceAddress = Schema.String.pipe(
  Schema.filter(
    (text) => {
      const parsed = IpAddress.parseCidr(text)
      return Either.isLeft(parsed) ? `'${text}' is not an IP address or CIDR range: ${parsed.left}` : undefined
    },
    { identifier: "SourceAddress" }
  )
)

/** The normalizer for records whose source address is in one of `addresses`. */
export const SourceNormalizer = Schema.Struct({
  addresses: Schema.NonEmptyArray(SourceAddress),
  normalizer: NormalizerSpec
}).annotations({ identifier: "SourceNormalizer" })
export type SourceNormalizer = typeof SourceNormalizer.Type

const SetupSchema = Schema.Struct({
  default: NormalizerSpec,
  bySource: withDefault(Schema.Array(SourceNormalizer), () => [])
}).annotations({ identifier: "NormalizerSetup" })

/**
 * A collector's normalizer: the first `bySource` entry whose addresses hold the record's source
 * address, else `default`.
 */
export interface NormalizerSetup {
  readonly default: NormalizerSpec
  readonly bySource: ReadonlyArray<SourceNormalizer>
}

/** A setup; a spec or a shorthand alone (`normalizer: "json"`) is the default with no `bySource`. */
export const NormalizerSetup: Schema.Schema<NormalizerSetup, typeof SetupSchema.Encoded | NormalizerShorthand | NormalizerSpecEncoded> = rewriteInput(
  SetupSchema as Schema.Schema<NormalizerSetup, typeof SetupSchema.Encoded | NormalizerShorthand | NormalizerSpecEncoded>,
  (input) => (typeof input === "string" || (typeof input === "object" && input !== null && "kind" in input) ? { default: input } : input)
).annotations({ identifier: "NormalizerSetup" })
export type NormalizerSetupEncoded = typeof NormalizerSetup.Encoded

/** Decodes a normalizer setup, failing with every path and reason. */
export const decodeNormalizerSetup = Schema.decodeUnknown(NormalizerSetup, { errors: "all" })
/** Decodes a normalizer setup or throws with every path and reason (config files, tests). */
export const decodeNormalizerSetupSync = Schema.decodeUnknownSync(NormalizerSetup, { errors: "all" })
