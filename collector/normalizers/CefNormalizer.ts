// The cef normalizer: ArcSight Common Event Format, `CEF:Version|Vendor|Product|Version|
// SignatureID|Name|Severity|Extension`, optionally after a syslog header. The header escapes `\|`
// and `\\`; extension values escape `\=`, `\\`, `\n`, `\r` (and `\|`), may hold spaces, and end
// where the next `key=` begins. Standard extension keys map onto normalized fields.
import type { EventFieldName } from "../../model/Event.ts"
import { Refusal } from "./Refusal.ts"
import { parseSyslog } from "./SyslogNormalizer.ts"
import { contentEnd, defaultTable, FlatRecord, flatDefaultMapper, flatExtraMapper, type RecordLayout, type RecordParser } from "./SourceRecord.ts"

/** The record's names for the seven header fields, in order. */
export const CefHeaderKeys = ["cefVersion", "deviceVendor", "deviceProduct", "deviceVersion", "deviceEventClassId", "name", "severity"] as const

const Pipe = 124
const Backslash = 92
const Space = 32
const Equals = 61

/** Keys are letters, digits, `_`, `.` and `-` (vendors use dotted and bracketed names). */
const isKeyChar = (code: number): boolean =>
  (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95 || code === 46 || code === 45 || code === 91 || code === 93

// The next backslash at or after the last position asked about (-1: none left). Parsing searches
// with indexOf, which is native and much faster than a loop over characters, and never twice.
let nextBackslash = -1

const resetBackslashes = (text: string, from: number): void => {
  nextBackslash = text.indexOf("\\", from)
}

/** The first backslash in text[start, end), or -1; calls must ask about ranges in ascending order. */
const backslashIn = (text: string, start: number, end: number): number => {
  if (nextBackslash !== -1 && nextBackslash < start) nextBackslash = text.indexOf("\\", start)
  return nextBackslash !== -1 && nextBackslash < end ? nextBackslash : -1
}

/** True when the character at `at` is preceded by an odd run of backslashes (it is escaped). */
const isEscaped = (text: string, from: number, at: number): boolean => {
  let count = 0
  for (let i = at - 1; i >= from && text.charCodeAt(i) === Backslash; i--) count++
  return (count & 1) === 1
}

/**
 * Undoes CEF escapes: `\|` and `\\` in the header; in extension values (`extension`) also `\=`,
 * `\n` and `\r`. Any other backslash stays.
 */
const unescapeCef = (text: string, start: number, end: number, extension: boolean): string => {
  const backslash = backslashIn(text, start, end)
  if (backslash < 0) return text.slice(start, end)
  let value = ""
  let chunk = start
  for (let i = backslash; i < end; i++) {
    if (text.charCodeAt(i) !== Backslash || i + 1 >= end) continue
    const next = text.charCodeAt(i + 1)
    if (next === Pipe || next === Backslash || (extension && next === Equals)) {
      value += text.slice(chunk, i)
      chunk = i + 1
      i++
    } else if (extension && (next === 110 || next === 114)) {
      value += text.slice(chunk, i) + (next === 110 ? "\n" : "\r")
      chunk = i + 2
      i++
    }
  }
  return value + text.slice(chunk, end)
}

const isDigits = (text: string): boolean => {
  if (text.length === 0 || text.length > 3) return false
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 48 || text.charCodeAt(i) > 57) return false
  return true
}

/** Parses one CEF record into its header fields (CefHeaderKeys), extension keys, and `syslog.host` / `syslog.timestamp` from a syslog prefix. */
export const parseCef = (text: string, receivedAt: number, record: FlatRecord): void => {
  record.clear()
  const end = contentEnd(text)
  const start = text.indexOf("CEF:")
  if (start < 0 || start >= end) throw new Refusal("not CEF: no CEF: header")
  if (start > 0) readSyslogPrefix(text.slice(0, start), receivedAt, record)
  resetBackslashes(text, start)
  // Header: seven fields, each ended by an unescaped pipe (the last one may end the record).
  let field = 0
  let fieldStart = start + 4
  let search = fieldStart
  while (field < 7) {
    const pipe = text.indexOf("|", search)
    if (pipe === -1 || pipe >= end) break
    search = pipe + 1
    if (isEscaped(text, fieldStart, pipe)) continue
    record.add(CefHeaderKeys[field]!, unescapeCef(text, fieldStart, pipe, false))
    field++
    fieldStart = pipe + 1
  }
  if (field === 6) {
    record.add("severity", unescapeCef(text, fieldStart, end, false))
    field = 7
    fieldStart = end
  }
  if (field < 7) throw new Refusal(`CEF header has ${field + 1} of its 7 fields (Version|Vendor|Product|Version|SignatureID|Name|Severity)`)
  // The version is the first header field (after any syslog prefix fields).
  const version = record.get("cefVersion")!
  if (!isDigits(version)) throw new Refusal(`CEF version must be a number, not ${JSON.stringify(version.slice(0, 16))}`)
  parseExtension(text, fieldStart, end, record)
}

// Parsing is synchronous and a prefix holds no CEF, so one scratch record serves every prefix.
const prefixRecord = new FlatRecord()

const readSyslogPrefix = (prefix: string, receivedAt: number, record: FlatRecord): void => {
  try {
    parseSyslog(prefix, receivedAt, "auto", prefixRecord)
  } catch (error) {
    // Text before CEF: that is not a syslog header is ignored, as CEF collectors do.
    if (error instanceof Refusal) return
    throw error
  }
  const timestamp = prefixRecord.get("timestamp")
  const host = prefixRecord.get("host")
  prefixRecord.clear()
  if (timestamp !== undefined) record.add("syslog.timestamp", timestamp)
  if (host !== undefined) record.add("syslog.host", host)
}

/**
 * Reads `key=value` pairs from text[start, end). A key is the word of key characters just before
 * an unescaped `=`, preceded by a space (or starting the extension); any other `=` belongs to the
 * value. Values lose trailing spaces.
 */
const parseExtension = (text: string, start: number, end: number, record: FlatRecord): void => {
  let key = ""
  let valueStart = -1
  let search = start
  for (;;) {
    const equals = text.indexOf("=", search)
    if (equals === -1 || equals >= end) break
    search = equals + 1
    // Each character is looked at once more at most: the backward walk stops at the previous '='.
    let keyStart = equals
    while (keyStart > start && isKeyChar(text.charCodeAt(keyStart - 1))) keyStart--
    if (keyStart === equals || keyStart <= valueStart) continue
    // A word glued to something else ("a:b=c", "x\\=y") is value text, and so is an escaped '='.
    if (keyStart > start && text.charCodeAt(keyStart - 1) !== Space) continue
    if (valueStart < 0) {
      if (!onlySpaces(text, start, keyStart)) throw new Refusal("CEF extension does not start with key=value")
    } else {
      record.add(key, unescapeCef(text, valueStart, trimEnd(text, valueStart, keyStart - 1), true))
    }
    key = text.slice(keyStart, equals)
    valueStart = equals + 1
  }
  if (valueStart < 0) {
    if (!onlySpaces(text, start, end)) throw new Refusal("CEF extension does not start with key=value")
    return
  }
  record.add(key, unescapeCef(text, valueStart, trimEnd(text, valueStart, end), true))
}

const onlySpaces = (text: string, start: number, end: number): boolean => {
  for (let i = start; i < end; i++) if (text.charCodeAt(i) !== Space) return false
  return true
}

/** The end of text[start, end) without trailing spaces. */
const trimEnd = (text: string, start: number, end: number): number => {
  let i = end
  while (i > start && text.charCodeAt(i - 1) === Space) i--
  return i
}

/** CEF dictionary keys (short and full names) and their normalized fields. */
const cefKeys = (): Array<readonly [string, EventFieldName | null]> => {
  const pairs: Array<readonly [string, string, EventFieldName]> = [
    ["act", "deviceAction", "DeviceAction"],
    ["app", "applicationProtocol", "ApplicationProtocol"],
    ["cat", "deviceEventCategory", "DeviceEventCategory"],
    ["cnt", "baseEventCount", "BaseEventCount"],
    ["dhost", "destinationHostName", "DestinationHostName"],
    ["dmac", "destinationMacAddress", "DestinationMacAddress"],
    ["dntdom", "destinationNtDomain", "DestinationNtDomain"],
    ["dpid", "destinationProcessId", "DestinationProcessID"],
    ["dproc", "destinationProcessName", "DestinationProcessName"],
    ["dpt", "destinationPort", "DestinationPort"],
    ["dst", "destinationAddress", "DestinationAddress"],
    ["duid", "destinationUserId", "DestinationUserID"],
    ["duser", "destinationUserName", "DestinationUserName"],
    ["dvc", "deviceAddress", "DeviceAddress"],
    ["dvchost", "deviceHostName", "DeviceHostName"],
    ["dtz", "deviceTimeZone", "DeviceTimeZone"],
    ["end", "endTime", "EndTime"],
    ["start", "startTime", "StartTime"],
    ["externalId", "deviceExternalId", "DeviceExternalID"],
    ["fname", "fileName", "FileName"],
    ["filePath", "filePath", "FilePath"],
    ["fileHash", "fileHash", "FileHash"],
    ["fsize", "fileSize", "FileSize"],
    ["in", "bytesIn", "BytesIn"],
    ["out", "bytesOut", "BytesOut"],
    ["msg", "message", "Message"],
    ["outcome", "eventOutcome", "EventOutcome"],
    ["proto", "transportProtocol", "TransportProtocol"],
    ["reason", "reason", "Reason"],
    ["request", "requestUrl", "RequestUrl"],
    ["requestMethod", "requestMethod", "RequestMethod"],
    ["rt", "receiptTime", "Timestamp"],
    ["shost", "sourceHostName", "SourceHostName"],
    ["smac", "sourceMacAddress", "SourceMacAddress"],
    ["sntdom", "sourceNtDomain", "SourceNtDomain"],
    ["spid", "sourceProcessId", "SourceProcessID"],
    ["sproc", "sourceProcessName", "SourceProcessName"],
    ["spt", "sourcePort", "SourcePort"],
    ["src", "sourceAddress", "SourceAddress"],
    ["suid", "sourceUserId", "SourceUserID"],
    ["suser", "sourceUserName", "SourceUserName"],
    ["deviceFacility", "deviceFacility", "DeviceFacility"],
    ["deviceProcessName", "deviceProcessName", "DeviceProcessName"]
  ]
  const slot = (short: string, full: string, field: string, count: number): void => {
    for (let n = 1; n <= count; n++) {
      pairs.push([`${short}${n}`, `${full}${n}`, `${field}${n}` as EventFieldName])
      pairs.push([`${short}${n}Label`, `${full}${n}Label`, `${field}${n}Label` as EventFieldName])
    }
  }
  slot("cs", "deviceCustomString", "DeviceCustomString", 6)
  slot("cn", "deviceCustomNumber", "DeviceCustomNumber", 3)
  slot("c6a", "deviceCustomIPv6Address", "DeviceCustomIPv6Address", 4)
  slot("deviceCustomDate", "deviceCustomDate", "DeviceCustomDate", 2)
  slot("flexString", "flexString", "FlexString", 2)
  slot("flexNumber", "flexNumber", "FlexNumber", 2)
  const entries: Array<readonly [string, EventFieldName | null]> = []
  for (const [short, full, field] of pairs) {
    entries.push([short, field])
    if (full !== short) entries.push([full, field])
  }
  entries.push(
    ["cefVersion", null],
    ["deviceVendor", "DeviceVendor"],
    ["deviceProduct", "DeviceProduct"],
    ["deviceVersion", "DeviceVersion"],
    ["deviceEventClassId", "DeviceEventClassID"],
    ["name", "Name"],
    ["severity", "Severity"],
    ["syslog.host", "DeviceHostName"],
    ["syslog.timestamp", "Timestamp"]
  )
  return entries
}

/** CEF records: flat, header and standard extension keys onto their fields, the rest to Extra. */
export const cefLayout: RecordLayout = { nested: false, mapDefault: flatDefaultMapper(defaultTable(cefKeys())), mapExtra: flatExtraMapper }

/** The parser of a cef spec. */
export const compileCefParser = (): RecordParser => {
  const record = new FlatRecord()
  return (text, receivedAt) => {
    parseCef(text, receivedAt, record)
    return record
  }
}
