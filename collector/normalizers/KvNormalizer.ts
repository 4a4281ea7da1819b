// The kv normalizer: `key=value` pairs separated by a pair separator (default a space). A value
// may be quoted with "..." (\" and \\ escaped inside). With a whitespace separator, a word that
// is not a pair continues the previous unquoted value, so `msg=login failed user=bob` reads as
// two pairs; text before the first pair is ignored.
import type { KvSpec } from "../../model/Normalizer.ts"
import { Refusal } from "./Refusal.ts"
import { contentEnd, FlatRecord, type RecordParser } from "./SourceRecord.ts"

const Quote = 34
const Backslash = 92

/** Reads a quoted value whose opening quote is at `start`; sets `quotedEnd` past the closing quote. */
let quotedEnd = 0
const readQuoted = (text: string, start: number, end: number, key: string): string => {
  let value = ""
  let chunk = start + 1
  for (let i = start + 1; i < end; i++) {
    const code = text.charCodeAt(i)
    if (code === Quote) {
      quotedEnd = i + 1
      return value + text.slice(chunk, i)
    }
    if (code === Backslash && i + 1 < end) {
      const next = text.charCodeAt(i + 1)
      if (next === Quote || next === Backslash) {
        value += text.slice(chunk, i)
        chunk = i + 1
        i++
      }
    }
  }
  throw new Refusal(`the quoted value of ${JSON.stringify(key.slice(0, 64))} is not closed`)
}

/** The kv parser for one spec's separators. */
export const compileKvParser = (spec: KvSpec): RecordParser => {
  const pairSeparator = spec.pairSeparator
  const valueSeparator = spec.valueSeparator
  const whitespace = pairSeparator.trim() === ""
  const record = new FlatRecord()
  return (text) => {
    record.clear()
    const end = contentEnd(text)
    // The previous pair, while a following word may continue its value.
    let continuable = false
    // Next occurrences of each separator at or after the cursor, found once each (-1: none left).
    let nextPair = -2
    let nextValue = -2
    let i = 0
    while (i < end) {
      if (text.startsWith(pairSeparator, i)) {
        i += pairSeparator.length
        continue
      }
      if (nextPair !== -1 && nextPair < i) nextPair = text.indexOf(pairSeparator, i)
      if (nextValue !== -1 && nextValue < i) nextValue = text.indexOf(valueSeparator, i)
      const tokenEnd = nextPair === -1 || nextPair > end ? end : nextPair
      if (nextValue === -1 || nextValue >= tokenEnd) {
        // A word without a value separator.
        if (continuable) record.values[record.length - 1] += pairSeparator + text.slice(i, tokenEnd)
        i = tokenEnd
        continue
      }
      let key = text.slice(i, nextValue)
      if (!whitespace) key = key.trim()
      i = nextValue + valueSeparator.length
      if (key === "") {
        continuable = false
        i = tokenEnd
        continue
      }
      let value: string
      if (i < end && text.charCodeAt(i) === Quote) {
        value = readQuoted(text, i, end, key)
        i = quotedEnd
        continuable = false
        // Text between the closing quote and the next separator stays with the value.
        if (i < end && !text.startsWith(pairSeparator, i)) {
          let after = text.indexOf(pairSeparator, i)
          if (after === -1 || after > end) after = end
          value += text.slice(i, after)
          i = after
        }
      } else {
        if (nextPair !== -1 && nextPair < i) nextPair = text.indexOf(pairSeparator, i)
        const valueEnd = nextPair === -1 || nextPair > end ? end : nextPair
        value = text.slice(i, valueEnd)
        if (!whitespace) value = value.trim()
        i = valueEnd
        continuable = whitespace
      }
      record.add(key, value)
    }
    if (record.length === 0) throw new Refusal(`no key${valueSeparator}value pairs`)
    return record
  }
}
