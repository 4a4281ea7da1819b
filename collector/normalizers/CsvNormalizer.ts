// The csv normalizer: one row per record with RFC 4180 quoting (a quoted field may hold the
// delimiter, line breaks and "" for a quote). `columns` name the fields in order; a column named ""
// is skipped, and columns past the list are `column<N>` (1-based).
import type { CsvSpec } from "../../model/Normalizer.ts"
import { MaxFieldsPerRecord, Refusal } from "./Refusal.ts"
import { contentEnd, FlatRecord, type RecordParser } from "./SourceRecord.ts"

const Quote = 34

/** The parser of a csv spec; column names are resolved here, once. */
export const compileCsvParser = (spec: CsvSpec): RecordParser => {
  const delimiter = spec.delimiter
  const delimiterCode = delimiter.charCodeAt(0)
  const names: Array<string> = []
  for (let column = 0; column < MaxFieldsPerRecord; column++) names.push(spec.columns?.[column] ?? `column${column + 1}`)
  const record = new FlatRecord()
  return (text) => {
    record.clear()
    const end = contentEnd(text)
    if (end === 0) throw new Refusal("empty record")
    let column = 0
    let i = 0
    for (;;) {
      if (column >= MaxFieldsPerRecord) throw new Refusal(`more than ${MaxFieldsPerRecord} columns in one record`)
      let value: string
      if (i < end && text.charCodeAt(i) === Quote) {
        value = ""
        let chunk = i + 1
        let j = i + 1
        for (;;) {
          if (j >= end) throw new Refusal(`the quoted field in column ${column + 1} is not closed`)
          if (text.charCodeAt(j) === Quote) {
            if (j + 1 < end && text.charCodeAt(j + 1) === Quote) {
              value += text.slice(chunk, j + 1)
              j += 2
              chunk = j
              continue
            }
            break
          }
          j++
        }
        value += text.slice(chunk, j)
        i = j + 1
        if (i < end && text.charCodeAt(i) !== delimiterCode) throw new Refusal(`text after the closing quote in column ${column + 1}`)
      } else {
        let next = text.indexOf(delimiter, i)
        if (next === -1 || next > end) next = end
        value = text.slice(i, next)
        i = next
      }
      const name = names[column]!
      if (name !== "") record.add(name, value)
      column++
      if (i >= end) break
      // Past a delimiter; one that ends the record leaves an empty last field.
      i++
    }
    return record
  }
}
