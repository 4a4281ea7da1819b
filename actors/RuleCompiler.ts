// Compiles a correlator's rules once: selectors into predicates (with the correlator's active
// lists and the rule's variables), identical and unique fields into readers, actions by trigger.
// Anything a rule names that does not exist is refused here, with the path and the reason.
import { EventFieldKinds, isEventFieldName, type EventFieldName, type NormalizedEvent } from "../model/Event.ts"
import type { Filter } from "../model/Filter.ts"
import { compileFilter, type ActiveListLookup, type EventPredicate } from "../model/FilterCompiler.ts"
import type { Action, ActiveListAction, CorrelatorSpec, Enrichment, Rule, Trigger } from "../model/Rule.ts"
import { fieldReader, type FieldReader } from "./FieldReader.ts"
import { escapePart, GroupTable, KeySeparator, type KeyPart } from "./GroupTable.ts"
import { asText, compileValueSource, compileVariables } from "./Variables.ts"

/** A rule that cannot run: where (`rules[2].selectors[0].filter`) and why. */
export class InvalidRule extends Error {
  readonly _tag = "InvalidRule"
  constructor(readonly ruleId: string, readonly path: string, readonly reason: string) {
    super(`rule ${ruleId}: ${path}: ${reason}`)
  }
}

/** Writes a value into an event field or an Extra entry, typed by the field's kind. */
export type FieldWriter = (event: Record<string, unknown>, value: unknown) => void

export interface CompiledListAction {
  readonly op: ActiveListAction["op"]
  readonly list: string
  readonly key: (event: NormalizedEvent) => string
  /** set: record field <- event value; get: event field <- record value. */
  readonly mapping: ReadonlyArray<{ readonly listField: string; readonly read: FieldReader | undefined; readonly write: FieldWriter | undefined }>
}

export interface CompiledAction {
  readonly index: number
  readonly trigger: Trigger
  readonly correlationEvent: boolean
  readonly loop: boolean
  readonly sendTo: Action["sendTo"]
  readonly noAlert: boolean
  readonly activeLists: ReadonlyArray<CompiledListAction>
  readonly enrichment: ReadonlyArray<{ readonly read: FieldReader; readonly write: FieldWriter }>
}

export interface CompiledSelector {
  readonly predicate: EventPredicate
  readonly threshold: number
  readonly recovery: boolean
}

export interface CompiledRule {
  readonly index: number
  readonly rule: Rule
  readonly selectors: ReadonlyArray<CompiledSelector>
  readonly filters: ReadonlyArray<Filter>
  readonly identicalFields: ReadonlyArray<string>
  readonly uniqueKey: ((event: NormalizedEvent) => string) | undefined
  readonly uniqueFields: ReadonlyArray<string>
  readonly actions: { readonly [T in Trigger]: ReadonlyArray<CompiledAction> }
  /** Operational rules' list operations. */
  readonly operations: ReadonlyArray<CompiledListAction>
  /** Standard rules only. */
  readonly table: GroupTable | undefined
}

const keyOf = (readers: ReadonlyArray<FieldReader>, separator: string): ((event: NormalizedEvent) => string) => {
  if (readers.length === 0) return () => ""
  if (readers.length === 1) {
    const only = readers[0]!
    return (event) => {
      const value = only(event)
      return typeof value === "string" ? value : asText(value)
    }
  }
  // Values may contain the separator (log fields are attacker-controlled): escape them.
  const part = separator === KeySeparator ? (value: unknown) => escapePart(asText(value)) : asText
  return (event) => {
    let key = part(readers[0]!(event))
    for (let i = 1; i < readers.length; i++) key += separator + part(readers[i]!(event))
    return key
  }
}

/** A writer for an event field or `Extra.key`, coercing text to the field's kind. */
export const fieldWriter = (ref: string): FieldWriter => {
  if (ref.startsWith("Extra.")) {
    const key = ref.slice("Extra.".length)
    return (event, value) => {
      if (value === undefined) return
      event.Extra = { ...(event.Extra as Record<string, string> | undefined), [key]: asText(value) }
    }
  }
  if (!isEventFieldName(ref)) throw new Error(`unknown event field '${ref}'`)
  const field: EventFieldName = ref
  const kind = EventFieldKinds[field]
  return (event, value) => {
    if (value === undefined || value === "") return
    if (kind === "integer" || kind === "number") {
      const number = typeof value === "number" ? value : Number(value)
      if (Number.isFinite(number) && (kind === "number" || Number.isSafeInteger(number))) event[field] = number
      return
    }
    if (kind === "string") event[field] = asText(value)
    else if (kind === "strings") event[field] = Array.isArray(value) ? value.map(asText) : [asText(value)]
  }
}

/** Fields that say what a correlation event is and whose it is: no action may overwrite them. */
const ProtectedFields = new Set(["ID", "Timestamp", "TenantID", "Type", "ServiceID", "ServiceName", "CorrelationRuleID", "CorrelationRuleName", "BaseEventIDs", "BaseEventCount", "GroupedBy"])

/** The active lists a filter looks into (inActiveList), with their paths. */
const listsIn = (filter: Filter, path: string, out: Array<{ list: string; path: string }>): Array<{ list: string; path: string }> => {
  if ("and" in filter) filter.and.forEach((part, i) => listsIn(part, `${path}.and[${i}]`, out))
  else if ("or" in filter) filter.or.forEach((part, i) => listsIn(part, `${path}.or[${i}]`, out))
  else if ("not" in filter) listsIn(filter.not, `${path}.not`, out)
  else if (filter.op === "inActiveList") out.push({ list: filter.list, path: `${path}.list` })
  return out
}

/** The trigger kinds each rule kind may use. */
const triggersOf = (rule: Rule): ReadonlyArray<Trigger> =>
  rule.kind === "standard" ? ["onEveryEvent", "onFirstThreshold", "onSubsequentThresholds", "onTimeout"] : rule.kind === "simple" ? ["onEveryEvent"] : []

export const compileRules = (spec: CorrelatorSpec, activeLists: ActiveListLookup & { isDeclared(list: string): boolean }): Array<CompiledRule> => {
  const seen = new Set<string>()
  return spec.rules.map((rule, index) => {
    const at = `rules[${index}]`
    const refuse = (path: string, reason: string): never => {
      throw new InvalidRule(rule.id, `${at}.${path}`, reason)
    }
    if (seen.has(rule.id)) refuse("id", `duplicate rule id '${rule.id}'`)
    seen.add(rule.id)
    const attempt = <A>(path: string, work: () => A): A => {
      try {
        return work()
      } catch (cause) {
        if (cause instanceof InvalidRule) throw cause
        return refuse(path, (cause as Error).message)
      }
    }
    const variables = attempt("variables", () => compileVariables(spec.globalVariables, rule.variables))
    const reader = (path: string, ref: string) => attempt(path, () => fieldReader(ref, variables))
    const listAction = (path: string, action: ActiveListAction): CompiledListAction => {
      if (!activeLists.isDeclared(action.list)) refuse(`${path}.list`, `active list '${action.list}' is not declared by correlator ${spec.id}`)
      const key = keyOf(action.keyFields.map((ref, i) => reader(`${path}.keyFields[${i}]`, ref)), "|")
      const mapping = action.mapping.map((entry, i) => {
        const where = `${path}.mapping[${i}]`
        if (action.op === "set") {
          if (entry.eventField === undefined && entry.constant === undefined) refuse(where, "set needs an eventField or a constant")
          const constant = entry.constant
          return { listField: entry.listField, read: entry.eventField !== undefined ? reader(`${where}.eventField`, entry.eventField) : () => constant, write: undefined }
        }
        if (action.op === "get") {
          if (rule.kind === "operational") refuse(`${path}.op`, "an operational rule makes no event to copy a record into: use set or delete")
          if (entry.eventField === undefined) refuse(where, "get needs the eventField to copy the value to")
          if (ProtectedFields.has(entry.eventField!)) refuse(`${where}.eventField`, `${entry.eventField} belongs to the correlation event itself and cannot be overwritten`)
          return { listField: entry.listField, read: undefined, write: attempt(`${where}.eventField`, () => fieldWriter(entry.eventField!)) }
        }
        return { listField: entry.listField, read: undefined, write: undefined }
      })
      return { op: action.op, list: action.list, key, mapping }
    }
    const enrichment = (path: string, item: Enrichment) => {
      if (ProtectedFields.has(item.target)) refuse(`${path}.target`, `${item.target} belongs to the correlation event itself and cannot be overwritten`)
      return compiledEnrichment(path, item)
    }
    const compiledEnrichment = (path: string, item: Enrichment) => ({
      read: attempt(`${path}.source`, () => compileValueSource(item.source, variables)),
      write: attempt(`${path}.target`, () => fieldWriter(item.target))
    })

    const selectorSpecs = rule.kind === "standard" ? rule.selectors : [rule.selector]
    const path = (i: number) => (rule.kind === "standard" ? `selectors[${i}]` : "selector")
    selectorSpecs.forEach((selector, i) => {
      for (const { list, path: where } of listsIn(selector.filter, `${path(i)}.filter`, [])) {
        if (!activeLists.isDeclared(list)) refuse(where, `active list '${list}' is not declared by correlator ${spec.id}`)
      }
    })
    const selectors = selectorSpecs.map((selector, i) => ({
      predicate: attempt(`${path(i)}.filter`, () => compileFilter(selector.filter, { variables, activeLists })),
      threshold: rule.kind === "standard" ? selector.threshold : 1,
      recovery: rule.kind === "standard" && selector.recovery
    }))
    if (rule.kind === "standard" && selectors.every((selector) => selector.recovery)) refuse("selectors", "at least one selector must not be a recovery selector")

    const allowed = triggersOf(rule)
    const actions: Record<Trigger, Array<CompiledAction>> = { onEveryEvent: [], onFirstThreshold: [], onSubsequentThresholds: [], onTimeout: [] }
    if (rule.kind !== "operational") {
      rule.actions.forEach((action, i) => {
        const where = `actions[${i}]`
        if (!allowed.includes(action.trigger)) refuse(`${where}.trigger`, `a ${rule.kind} rule cannot act ${action.trigger}`)
        if (!action.correlationEvent && (action.loop || action.sendTo.length > 0)) {
          refuse(`${where}.correlationEvent`, "loop and sendTo pass the correlation event on, so it must be created")
        }
        actions[action.trigger].push({
          index: i,
          trigger: action.trigger,
          correlationEvent: action.correlationEvent,
          loop: action.loop,
          sendTo: action.sendTo,
          noAlert: action.noAlert,
          activeLists: action.activeLists.map((item, j) => listAction(`${where}.activeLists[${j}]`, item)),
          enrichment: action.enrichment.map((item, j) => enrichment(`${where}.enrichment[${j}]`, item))
        })
      })
    }
    const identicalFields = rule.kind === "standard" ? rule.identicalFields : []
    const uniqueFields = rule.kind === "standard" ? rule.uniqueFields : []
    return {
      index,
      rule,
      selectors,
      filters: selectorSpecs.map((selector) => selector.filter),
      identicalFields,
      uniqueKey: uniqueFields.length === 0 ? undefined : keyOf(uniqueFields.map((ref, i) => reader(`uniqueFields[${i}]`, ref)), KeySeparator),
      uniqueFields,
      actions,
      operations: rule.kind === "operational" ? rule.activeLists.map((item, j) => listAction(`activeLists[${j}]`, item)) : [],
      table:
        rule.kind === "standard"
          ? new GroupTable(
              selectors.length,
              rule.windowSeconds * 1000,
              identicalFields.map((ref, i): KeyPart => {
                const field = isEventFieldName(ref) ? ref : undefined
                const kind = field === undefined ? "string" : EventFieldKinds[field]
                return { read: reader(`identicalFields[${i}]`, ref), numeric: kind === "integer" || kind === "number" }
              })
            )
          : undefined
    }
  })
}
