// The syslog normalizer: RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG`, structured
// data into `sd.<id>.<param>`, a BOM before MSG dropped) and RFC 3164 / BSD syslog (`<PRI>Mmm dd
// hh:mm:ss host tag[pid]: msg`, the year inferred; also the Cisco `Mmm dd yyyy hh:mm:ss:` form, ISO
// times, and file lines without PRI), told apart by the version after PRI.
import type { SyslogSpec } from "../../model/Normalizer.ts"
import { readIso, dateEnd, scanMonthDate } from "./EventTime.ts"
import { Refusal } from "./Refusal.ts"
import { contentEnd, defaultTable, FlatRecord, flatDefaultMapper, flatExtraMapper, type RecordLayout, type RecordParser } from "./SourceRecord.ts"

/** Facility keywords by code (RFC 5424 table 1; 13, 14 and 15 as rsyslog names them). */
export const FacilityNames = [
  "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp", "security", "console",
  "solaris-cron", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"
] as const
/** Severity keywords by code (RFC 5424 table 2). */
export const SeverityNames = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"] as const

const PriorityTexts = Array.from({ length: 192 }, (_, priority) => String(priority))

const Space = 32
const isDigit = (code: number): boolean => code >= 48 && code <= 57
const isLetter = (code: number): boolean => (code | 32) >= 97 && (code | 32) <= 122
/** SD-NAME: printable US-ASCII except `=`, space, `]` and `"`. */
const isSdNameChar = (code: number): boolean => code > 32 && code < 127 && code !== 61 && code !== 93 && code !== 34

const setMessage = (record: FlatRecord, text: string, from: number, end: number): void => {
  // A UTF-8 BOM says the message is Unicode (RFC 5424 §6.4); it is not part of the text.
  const start = from < end && text.charCodeAt(from) === 0xfeff ? from + 1 : from
  if (start < end) record.add("message", text.slice(start, end))
}

/**
 * Parses one syslog record into `priority`, `facility`, `severity` (keywords), `version`,
 * `timestamp` (as written), `host`, `app`, `procid`, `msgid`, `message` and `sd.<id>.<param>`.
 */
export const parseSyslog = (text: string, receivedAt: number, format: SyslogSpec["format"], record: FlatRecord): void => {
  record.clear()
  const end = contentEnd(text)
  let i = end > 0 && text.charCodeAt(0) === 0xfeff ? 1 : 0
  let hasPri = false
  if (i < end && text.charCodeAt(i) === 60) {
    let j = i + 1
    let priority = 0
    while (j < end && j - i <= 3 && isDigit(text.charCodeAt(j))) priority = priority * 10 + (text.charCodeAt(j++) - 48)
    if (j === i + 1 || j >= end || text.charCodeAt(j) !== 62 || priority > 191) throw new Refusal("not syslog: PRI must be <0> to <191>")
    record.add("priority", PriorityTexts[priority]!)
    record.add("facility", FacilityNames[priority >> 3]!)
    record.add("severity", SeverityNames[priority & 7]!)
    i = j + 1
    hasPri = true
  }
  if (hasPri && format !== "rfc3164") {
    let j = i
    while (j < end && j - i < 3 && isDigit(text.charCodeAt(j))) j++
    if (j > i && j < end && text.charCodeAt(j) === Space && text.charCodeAt(i) !== 48) {
      record.add("version", text.slice(i, j))
      parse5424(text, j + 1, end, record)
      return
    }
  }
  if (format === "rfc5424") throw new Refusal("not RFC 5424 syslog: expected <PRI>VERSION and a space")
  parse3164(text, i, end, record, receivedAt, hasPri)
}

const HeaderNames = ["timestamp", "host", "app", "procid", "msgid"] as const
const RfcHeaderNames = ["TIMESTAMP", "HOSTNAME", "APP-NAME", "PROCID", "MSGID"] as const

const parse5424 = (text: string, start: number, end: number, record: FlatRecord): void => {
  let i = start
  for (let field = 0; field < HeaderNames.length; field++) {
    const name = HeaderNames[field]!
    let j = i
    while (j < end && text.charCodeAt(j) !== Space) j++
    if (j === i) throw new Refusal(`RFC 5424 header: ${i >= end ? "ends before" : "empty"} ${RfcHeaderNames[field]}`)
    if (j >= end) throw new Refusal(`RFC 5424 header: ends after ${RfcHeaderNames[field]}, before structured data`)
    const nil = j === i + 1 && text.charCodeAt(i) === 45
    if (!nil) {
      if (field === 0 && Number.isNaN(readIso(text, i, j))) throw new Refusal(`RFC 5424 TIMESTAMP is not RFC 3339: ${JSON.stringify(text.slice(i, Math.min(j, i + 40)))}`)
      record.add(name, text.slice(i, j))
    }
    i = j + 1
  }
  i = parseStructuredData(text, i, end, record)
  if (i === end) return
  if (text.charCodeAt(i) !== Space) throw new Refusal("RFC 5424: expected a space between structured data and the message")
  setMessage(record, text, i + 1, end)
}

/**
 * Reads `-` or SD elements from `start`; returns where they end. SD-IDs and PARAM-NAMEs longer than
 * RFC 5424's 32 characters are taken (senders exceed it); the Extra key limits bound them.
 */
const parseStructuredData = (text: string, start: number, end: number, record: FlatRecord): number => {
  let i = start
  if (i >= end) throw new Refusal("RFC 5424: structured data missing (expected - or [)")
  const first = text.charCodeAt(i)
  if (first === 45) return i + 1
  if (first !== 91) throw new Refusal("RFC 5424: structured data must be - or start with [")
  while (i < end && text.charCodeAt(i) === 91) {
    i++
    const idStart = i
    while (i < end && isSdNameChar(text.charCodeAt(i))) i++
    if (i === idStart) throw new Refusal("structured data: an element without SD-ID")
    const id = text.slice(idStart, i)
    for (;;) {
      if (i >= end) throw new Refusal(`structured data: element [${id} is not closed`)
      const code = text.charCodeAt(i)
      if (code === 93) {
        i++
        break
      }
      if (code !== Space) throw new Refusal(`structured data: unexpected ${JSON.stringify(text[i])} in [${id}`)
      i++
      const nameStart = i
      while (i < end && isSdNameChar(text.charCodeAt(i))) i++
      if (i === nameStart) throw new Refusal(`structured data: a parameter without a name in [${id}`)
      const name = text.slice(nameStart, i)
      if (text.charCodeAt(i) !== 61 || text.charCodeAt(i + 1) !== 34) throw new Refusal(`structured data: expected ="value" after ${name} in [${id}`)
      i += 2
      // PARAM-VALUE escapes \" \\ and \]; a backslash before anything else is kept (RFC 5424 §6.3.3).
      let value = ""
      let chunk = i
      for (;;) {
        if (i >= end) throw new Refusal(`structured data: the value of ${name} in [${id} is not closed`)
        const char = text.charCodeAt(i)
        if (char === 34) break
        if (char === 92 && i + 1 < end) {
          const next = text.charCodeAt(i + 1)
          if (next === 34 || next === 92 || next === 93) {
            value += text.slice(chunk, i)
            chunk = i + 1
            i += 2
            continue
          }
        }
        i++
      }
      value += text.slice(chunk, i)
      i++
      record.add(`sd.${id}.${name}`, value)
    }
  }
  return i
}

const MaxTagLength = 48
const MaxPidLength = 128

const parse3164 = (text: string, start: number, end: number, record: FlatRecord, receivedAt: number, hasPri: boolean): void => {
  let i = start
  let timeEnd = -1
  const first = i < end ? text.charCodeAt(i) : 0
  if (isLetter(first)) {
    if (!Number.isNaN(scanMonthDate(text, i, end, receivedAt, false))) timeEnd = dateEnd
  } else if (isDigit(first)) {
    // High-precision syslog (rsyslog, syslog-ng) writes an RFC 3339 time instead.
    let j = i
    while (j < end && text.charCodeAt(j) !== Space) j++
    const isoEnd = j > i && text.charCodeAt(j - 1) === 58 ? j - 1 : j
    if (!Number.isNaN(readIso(text, i, isoEnd))) timeEnd = isoEnd
  }
  // Cisco devices put a colon after the time; then a space or the end must follow.
  let after = timeEnd
  if (after >= 0 && after < end && text.charCodeAt(after) === 58) after++
  if (timeEnd < 0 || (after < end && text.charCodeAt(after) !== Space)) {
    // RFC 3164 §4.3.2: without a valid TIMESTAMP, everything after PRI is the message.
    if (!hasPri) throw new Refusal("not syslog: neither <PRI> nor a timestamp at the start")
    setMessage(record, text, i, end)
    return
  }
  record.add("timestamp", text.slice(i, timeEnd))
  i = after
  while (i < end && text.charCodeAt(i) === Space) i++
  let j = i
  while (j < end && text.charCodeAt(j) !== Space) j++
  // A token ending in ':' or holding '[' is the tag of a line without a host name.
  if (j > i && text.charCodeAt(j - 1) !== 58 && !hasBracket(text, i, j)) {
    record.add("host", text.slice(i, j))
    i = j
    while (i < end && text.charCodeAt(i) === Space) i++
  }
  parseTag(text, i, end, record)
}

const hasBracket = (text: string, start: number, end: number): boolean => {
  for (let i = start; i < end; i++) if (text.charCodeAt(i) === 91) return true
  return false
}

/** Reads `tag[pid]: ` or `tag: ` when present; the rest is the message. */
const parseTag = (text: string, start: number, end: number, record: FlatRecord): void => {
  let i = start
  if (i >= end) return
  if (text.charCodeAt(i) === 58) {
    i++
    if (i < end && text.charCodeAt(i) === Space) i++
    setMessage(record, text, i, end)
    return
  }
  let j = i
  while (j < end && j - i <= MaxTagLength) {
    const code = text.charCodeAt(j)
    if (code === Space || code === 58 || code === 91) break
    j++
  }
  if (j > i && j < end && j - i <= MaxTagLength) {
    const code = text.charCodeAt(j)
    if (code === 58) {
      record.add("app", text.slice(i, j))
      i = j + 1
    } else if (code === 91) {
      let close = j + 1
      while (close < end && close - j <= MaxPidLength && text.charCodeAt(close) !== 93) close++
      if (close < end && text.charCodeAt(close) === 93 && text.charCodeAt(close + 1) === 58) {
        record.add("app", text.slice(i, j))
        if (close > j + 1) record.add("procid", text.slice(j + 1, close))
        i = close + 2
      }
    }
    if (i !== start && i < end && text.charCodeAt(i) === Space) i++
  }
  setMessage(record, text, i, end)
}

/** Where the default mapping puts syslog fields; structured data and the rest go to Extra. */
const SyslogTable = defaultTable([
  ["timestamp", "Timestamp"],
  ["host", "DeviceHostName"],
  ["app", "DeviceProcessName"],
  // A numeric PROCID is the process ID; anything else (RFC 5424 allows it) stays in Extra.
  ["procid", "SourceProcessID", "orExtra"],
  ["msgid", "DeviceEventClassID"],
  ["severity", "Severity"],
  ["facility", "DeviceFacility"],
  ["message", "Message"],
  ["priority", null],
  ["version", null]
])

/** Syslog records: flat, with the syslog default mapping. */
export const syslogLayout: RecordLayout = { nested: false, mapDefault: flatDefaultMapper(SyslogTable), mapExtra: flatExtraMapper }

/** The parser of a syslog spec. */
export const compileSyslogParser = (spec: SyslogSpec): RecordParser => {
  const record = new FlatRecord()
  return (text, receivedAt) => {
    parseSyslog(text, receivedAt, spec.format, record)
    return record
  }
}
