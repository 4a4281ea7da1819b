// Active list files (SPEC §7, POST activeLists/import and GET activeLists/export): CSV and TSV
// with a header line and a key field, or KUMA's internal format (one JSON object per line).
// Parsing either gives every record or the first bad line with its number; nothing is half-read.
// Writing is the parser's inverse: what is exported imports back as the same records.
import type { ActiveListImportRecord } from "./ActiveListImporter.ts"

export type ActiveListFormat = "csv" | "tsv" | "internal"

/** Why a file was refused: the 1-based line and the reason. */
export interface ActiveListFileProblem {
  readonly line: number
  readonly reason: string
}

export type ActiveListFileParse =
  | { readonly ok: true; readonly records: ReadonlyArray<ActiveListImportRecord> }
  | { readonly ok: false; readonly problem: ActiveListFileProblem }

interface Row {
  readonly line: number
  readonly cells: ReadonlyArray<string>
}

class Refused extends Error {
  constructor(readonly problem: ActiveListFileProblem) {
    super(problem.reason)
  }
}

const refuse = (line: number, reason: string): never => {
  throw new Refused({ line, reason })
}

/** CSV rows as RFC 4180 reads them: quoted cells may hold commas, doubled quotes and line breaks. */
const csvRows = (text: string): Array<Row> => {
  const rows: Array<Row> = []
  let cells: Array<string> = []
  let cell = ""
  let line = 1
  let rowLine = 1
  let quoted = false
  let cellWasQuoted = false
  let rowHasQuotes = false
  const endCell = () => {
    cells.push(cell)
    cell = ""
    cellWasQuoted = false
  }
  const endRow = () => {
    endCell()
    // A blank line is no row.
    if (!(cells.length === 1 && cells[0] === "" && !rowHasQuotes)) rows.push({ line: rowLine, cells })
    cells = []
    rowHasQuotes = false
  }
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        cell += '"'
        index++
      } else if (char === '"') {
        quoted = false
      } else {
        if (char === "\n") line++
        cell += char
      }
      continue
    }
    if (char === ",") endCell()
    else if (char === "\n" || (char === "\r" && text[index + 1] === "\n")) {
      if (char === "\r") index++
      endRow()
      line++
      rowLine = line
    } else if (cellWasQuoted) refuse(line, "text after the closing quote of a cell")
    else if (char === '"') {
      if (cell !== "") refuse(line, "a quote inside an unquoted cell")
      quoted = true
      cellWasQuoted = true
      rowHasQuotes = true
    } else cell += char
  }
  if (quoted) refuse(rowLine, "a quoted cell is not closed")
  if (cell !== "" || cells.length > 0 || rowHasQuotes) endRow()
  return rows
}

/** TSV rows: one per line, cells split at tabs, no quoting. */
const tsvRows = (text: string): Array<Row> =>
  text.split("\n").flatMap((raw, index) => {
    const content = raw.endsWith("\r") ? raw.slice(0, -1) : raw
    return content === "" ? [] : [{ line: index + 1, cells: content.split("\t") }]
  })

const tableRecords = (rows: ReadonlyArray<Row>, keyField: string): Array<ActiveListImportRecord> => {
  const [header, ...body] = rows
  if (header === undefined) return refuse(1, "the file is empty: a header line is expected")
  const names = header.cells.map((name) => name.trim())
  const seen = new Set<string>()
  for (const name of names) {
    if (name === "") refuse(header.line, "the header has an empty field name")
    if (seen.has(name)) refuse(header.line, `the header names field '${name}' twice`)
    seen.add(name)
  }
  const keyIndex = names.indexOf(keyField)
  if (keyIndex < 0) refuse(header.line, `the key field '${keyField}' is not in the header`)
  const keys = new Map<string, number>()
  return body.map((row) => {
    if (row.cells.length !== names.length) refuse(row.line, `expected ${names.length} fields as in the header, found ${row.cells.length}`)
    const key = row.cells[keyIndex]!
    if (key === "") refuse(row.line, `the key field '${keyField}' is empty`)
    const earlier = keys.get(key)
    if (earlier !== undefined) refuse(row.line, `the key '${key}' is already on line ${earlier}`)
    keys.set(key, row.line)
    // fromEntries makes every name an own field, `__proto__` included (an assignment would set the prototype and drop it).
    const fields: Record<string, string> = Object.fromEntries(names.map((name, index) => [name, row.cells[index]!]))
    return { key, fields }
  })
}

const scalarText = (value: unknown): string | undefined =>
  typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : undefined

/** Internal format: each line `{"Key": "...", "Record": {"field": "value", ...}}` (lower-case names accepted too). */
const internalRecords = (text: string): Array<ActiveListImportRecord> => {
  const records: Array<ActiveListImportRecord> = []
  text.split("\n").forEach((raw, index) => {
    const line = index + 1
    const content = raw.trim()
    if (content === "") return
    let parsed: unknown
    try {
      parsed = JSON.parse(content)
    } catch {
      refuse(line, "not a JSON object")
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return refuse(line, "not a JSON object")
    const object = parsed as Record<string, unknown>
    const key = scalarText(object.Key ?? object.key)
    if (key === undefined || key === "") return refuse(line, "the record has no Key")
    const record = object.Record ?? object.record ?? {}
    if (typeof record !== "object" || record === null || Array.isArray(record)) return refuse(line, "Record is not an object")
    const entries: Array<[string, string]> = []
    for (const [name, value] of Object.entries(record as Record<string, unknown>)) {
      const text = scalarText(value)
      if (text === undefined) return refuse(line, `field '${name}' is not a string, number or boolean`)
      entries.push([name, text])
    }
    records.push({ key, fields: Object.fromEntries(entries) })
  })
  return records
}

/** Parses an import file; `keyField` is required for csv and tsv and ignored for internal. */
export const parseActiveListFile = (bytes: Uint8Array, format: ActiveListFormat, keyField: string | undefined): ActiveListFileParse => {
  try {
    let text: string
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes)
    } catch {
      return refuse(1, "the file is not UTF-8 text")
    }
    if (format === "internal") return { ok: true, records: internalRecords(text) }
    if (keyField === undefined || keyField === "") return refuse(1, `keyField is required for ${format}`)
    return { ok: true, records: tableRecords(format === "csv" ? csvRows(text) : tsvRows(text), keyField) }
  } catch (error) {
    if (error instanceof Refused) return { ok: false, problem: error.problem }
    throw error
  }
}

/** What an export writes: the bytes, or why the records cannot be written in that format. */
export type ActiveListFileWrite = { readonly ok: true; readonly text: string; readonly keyField: string | undefined } | { readonly ok: false; readonly reason: string }

/** The MIME type of each format, as the export answers with it and the import reads it. */
export const ActiveListFileTypes: Readonly<Record<ActiveListFormat, string>> = {
  csv: "text/csv",
  tsv: "text/tab-separated-values",
  internal: "application/x-ndjson"
}

const csvCell = (value: string): string => (/[",\r\n]/.test(value) || value === "" ? `"${value.replaceAll('"', '""')}"` : value)

/**
 * The key column of a table export: `keyField` when given, else the first field that holds its
 * record's key in every record (what a CSV import keyed by it left), else `key`.
 */
const keyColumnOf = (records: ReadonlyArray<ActiveListImportRecord>, names: ReadonlyArray<string>, keyField: string | undefined): string =>
  keyField ?? names.find((name) => records.every((record) => Object.hasOwn(record.fields, name) && record.fields[name] === record.key)) ?? "key"

/**
 * Writes records as an import file. Table formats have a header of the key column and every field
 * name (first seen first); the key column holds each record's key, so importing the file with that
 * key field gives back records equal to the written ones when each already held its key in that
 * field and all had the same fields (as a table import leaves them); otherwise a record gains the
 * key field and an empty value for the fields it lacked. The internal format keeps every record
 * exactly. TSV cannot hold a tab or line break in a cell, nor any table format a field name with
 * surrounding spaces (the parser trims header names): those are refused, naming the record.
 */
export const writeActiveListFile = (records: ReadonlyArray<ActiveListImportRecord>, format: ActiveListFormat, keyField: string | undefined): ActiveListFileWrite => {
  if (format === "internal") return { ok: true, text: records.map((record) => `${JSON.stringify({ Key: record.key, Record: record.fields })}\n`).join(""), keyField: undefined }
  const names: Array<string> = []
  const seen = new Set<string>()
  for (const record of records) {
    for (const name of Object.keys(record.fields)) {
      if (seen.has(name)) continue
      seen.add(name)
      names.push(name)
    }
  }
  const keyColumn = keyColumnOf(records, names, keyField)
  const columns = [keyColumn, ...names.filter((name) => name !== keyColumn)]
  for (const name of columns) {
    if (name === "" || name.trim() !== name) return { ok: false, reason: `field name '${name}' cannot be a ${format} header (empty or with surrounding spaces)` }
  }
  const rows = records.map((record) => columns.map((name) => (name === keyColumn ? record.key : (Object.hasOwn(record.fields, name) ? record.fields[name]! : ""))))
  if (format === "tsv") {
    const bad = [columns, ...rows].findIndex((cells) => cells.some((cell) => /[\t\r\n]/.test(cell)))
    if (bad >= 0) return { ok: false, reason: bad === 0 ? "a field name holds a tab or line break" : `the record of key '${records[bad - 1]!.key}' holds a tab or line break; export as csv or internal` }
    return { ok: true, text: [columns, ...rows].map((cells) => `${cells.join("\t")}\n`).join(""), keyField: keyColumn }
  }
  return { ok: true, text: [columns, ...rows].map((cells) => `${cells.map(csvCell).join(",")}\r\n`).join(""), keyField: keyColumn }
}
