// Local (rule) and global (correlator) variables: each is computed from the event at hand, from
// a constant, a field, or a `{{.Field}}` template. Compiled once; a rule's local wins.
import type { VariableExpr } from "../model/Rule.ts"
import { fieldReader, type FieldReader } from "./FieldReader.ts"

const Placeholder = /\{\{\s*\.([A-Za-z0-9_.]+)\s*\}\}/g

const text = (value: unknown): string => (value === undefined || value === null ? "" : typeof value === "object" ? JSON.stringify(value) : String(value))

/** Compiles a `{{.Field}}` template into a function of the event. */
export const compileTemplate = (template: string): FieldReader => {
  const literals: Array<string> = []
  const readers: Array<FieldReader> = []
  let last = 0
  for (const match of template.matchAll(Placeholder)) {
    literals.push(template.slice(last, match.index))
    readers.push(fieldReader(match[1]!))
    last = match.index + match[0].length
  }
  literals.push(template.slice(last))
  if (readers.length === 0) {
    const constant = literals[0]!
    return () => constant
  }
  return (event) => {
    let out = literals[0]!
    for (let i = 0; i < readers.length; i++) out += text(readers[i]!(event)) + literals[i + 1]!
    return out
  }
}

/** Compiles one value source: a constant, a field (no variables: they cannot refer to each other), or a template. */
export const compileValueSource = (expr: VariableExpr, variables?: ReadonlyMap<string, FieldReader>): FieldReader => {
  if ("constant" in expr) {
    const constant = expr.constant
    return () => constant
  }
  if ("field" in expr) return fieldReader(expr.field, variables)
  return compileTemplate(expr.template)
}

/** The variables a rule sees: the correlator's globals overlaid with the rule's locals. */
export const compileVariables = (
  globals: Readonly<Record<string, VariableExpr>>,
  locals: Readonly<Record<string, VariableExpr>>
): ReadonlyMap<string, FieldReader> => {
  const readers = new Map<string, FieldReader>()
  for (const [name, expr] of Object.entries(globals)) readers.set(name, compileValueSource(expr))
  for (const [name, expr] of Object.entries(locals)) readers.set(name, compileValueSource(expr))
  return readers
}

/** Renders a value read from an event as the text stored in lists and keys. */
export const asText = text

