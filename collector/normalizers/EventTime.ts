// Event times as normalizers find them: epoch seconds or milliseconds, ISO 8601 / RFC 3339, and the
// month-name dates of syslog (RFC 3164) and CEF, read as UTC milliseconds without allocating.
// A date without a year takes its year from the receipt time.

/** Times before 1970 or after year 9999 are not event times. */
export const MaxTimestamp = 253_402_300_799_999

/** The value when it is a whole number of milliseconds in the event time range, else undefined. */
export const inTimeRange = (millis: number): number | undefined =>
  Number.isSafeInteger(millis) && millis >= 0 && millis <= MaxTimestamp ? millis : undefined

/** Epoch seconds and epoch milliseconds are told apart by size. */
export const fromEpoch = (value: number): number | undefined =>
  Number.isFinite(value) ? inTimeRange(Math.trunc(value < 1e11 && value > -1e11 ? value * 1000 : value)) : undefined

/**
 * Reads an event time: a number (epoch seconds or milliseconds), or text that is an epoch number,
 * ISO 8601 / RFC 3339 (without an offset: UTC, never the host's zone), a syslog or CEF date
 * (`May  1 10:00:00`, `May 01 2024 10:00:00.123 UTC`), or another text with a year and a zone
 * that Date.parse reads.
 */
export const parseEventTime = (value: unknown, receivedAt: number): number | undefined => {
  if (typeof value === "number") return fromEpoch(value)
  if (typeof value !== "string" || value.length === 0) return undefined
  const first = value.charCodeAt(0)
  if (isDigit(first)) {
    const epoch = readEpochText(value)
    if (!Number.isNaN(epoch)) return fromEpoch(epoch)
    const iso = readIso(value, 0, value.length)
    if (!Number.isNaN(iso)) return inTimeRange(iso)
    // An ISO-looking date that failed (Feb 30) must not be rolled over by Date.parse.
    if (value.charCodeAt(4) === 45) return undefined
  } else if (isLetter(first)) {
    if (monthAt(value, 0) > 0) return inTimeRange(readMonthDate(value, 0, value.length, receivedAt))
  }
  // Date.parse reads local time without a zone and invents the year 2001 without a year, so it
  // is asked only about texts that carry both (RFC 2822 `Wed, 01 May 2024 10:00:00 GMT`).
  if (value.length > 64 || !FourDigits.test(value) || !ExplicitZone.test(value)) return undefined
  const parsed = Date.parse(value)
  return Number.isNaN(parsed) ? undefined : inTimeRange(parsed)
}

const FourDigits = /\d{4}/
const ExplicitZone = /(?:GMT|UTC|Z|[+-]\d\d:?\d\d)\b/

const isDigit = (code: number): boolean => code >= 48 && code <= 57
const isLetter = (code: number): boolean => (code | 32) >= 97 && (code | 32) <= 122

/** Digits with an optional fraction (`1714557600`, `1714557600.5`), else NaN. */
const readEpochText = (text: string): number => {
  if (text.length > 24) return NaN
  let dot = -1
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code === 46 && dot < 0 && i > 0 && i < text.length - 1) dot = i
    else if (!isDigit(code)) return NaN
  }
  return Number(text)
}

/** The number in text[start, start + count) when all are digits, else -1. */
const digitsAt = (text: string, start: number, count: number): number => {
  if (start + count > text.length) return -1
  let value = 0
  for (let i = start; i < start + count; i++) {
    const code = text.charCodeAt(i)
    if (!isDigit(code)) return -1
    value = value * 10 + (code - 48)
  }
  return value
}

const DaysInMonth = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
const isLeap = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0

const validDate = (year: number, month: number, day: number): boolean =>
  month >= 1 && month <= 12 && day >= 1 && day <= DaysInMonth[month - 1]! && (month !== 2 || day <= 28 || isLeap(year))

/** Reads `hh:mm[:ss[.fraction]]` at `at`; returns milliseconds into the day and sets `cursor`, or NaN. */
let cursor = 0
const readClock = (text: string, at: number, end: number, secondsRequired: boolean): number => {
  const hour = digitsAt(text, at, 2)
  if (hour < 0 || hour > 23 || text.charCodeAt(at + 2) !== 58) return NaN
  const minute = digitsAt(text, at + 3, 2)
  if (minute < 0 || minute > 59) return NaN
  let i = at + 5
  let second = 0
  let millis = 0
  if (i < end && text.charCodeAt(i) === 58) {
    second = digitsAt(text, i + 1, 2)
    // 60 is a leap second; it reads as the last millisecond of the minute.
    if (second < 0 || second > 60) return NaN
    i += 3
    if (i < end && (text.charCodeAt(i) === 46 || text.charCodeAt(i) === 44) && i + 1 < end && isDigit(text.charCodeAt(i + 1))) {
      i++
      let scale = 100
      while (i < end && isDigit(text.charCodeAt(i))) {
        millis += (text.charCodeAt(i) - 48) * scale
        scale /= 10
        i++
      }
      millis = Math.floor(millis)
    }
  } else if (secondsRequired) return NaN
  cursor = i
  if (second === 60) return ((hour * 60 + minute) * 60 + 59) * 1000 + 999
  return ((hour * 60 + minute) * 60 + second) * 1000 + millis
}

/** Reads a zone at `at` (`Z`, `UTC`, `GMT`, `+hh:mm`, `+hhmm`, `+hh`, `UTC+hh:mm`) as minutes east; NaN if none. */
const readZone = (text: string, at: number, end: number): number => {
  let i = at
  let named = false
  const code = text.charCodeAt(i)
  if (code === 90 || code === 122) {
    cursor = i + 1
    return 0
  }
  if (end - i >= 3) {
    const word = text.slice(i, i + 3).toUpperCase()
    if (word === "UTC" || word === "GMT") {
      named = true
      i += 3
    }
  }
  const sign = text.charCodeAt(i)
  if (sign !== 43 && sign !== 45) {
    if (!named) return NaN
    cursor = i
    return 0
  }
  const hours = digitsAt(text, i + 1, 2)
  if (hours < 0 || hours > 18) return NaN
  i += 3
  let minutes = 0
  if (i < end && text.charCodeAt(i) === 58) i++
  const maybeMinutes = digitsAt(text, i, 2)
  if (maybeMinutes >= 0) {
    if (maybeMinutes > 59) return NaN
    minutes = maybeMinutes
    i += 2
  } else if (text.charCodeAt(i - 1) === 58) return NaN
  cursor = i
  return (sign === 45 ? -1 : 1) * (hours * 60 + minutes)
}

/**
 * Reads ISO 8601 / RFC 3339 in text[start, end): `YYYY-MM-DD`, optionally `T` or a space and a
 * clock, optionally a zone (none: UTC). NaN when it is not exactly that.
 */
export const readIso = (text: string, start: number, end: number): number => {
  const year = digitsAt(text, start, 4)
  if (year < 0 || text.charCodeAt(start + 4) !== 45 || text.charCodeAt(start + 7) !== 45) return NaN
  const month = digitsAt(text, start + 5, 2)
  const day = digitsAt(text, start + 8, 2)
  if (!validDate(year, month, day)) return NaN
  const date = Date.UTC(year, month - 1, day)
  let i = start + 10
  if (i === end) return date
  const separator = text.charCodeAt(i)
  if (separator !== 84 && separator !== 116 && separator !== 32) return NaN
  const clock = readClock(text, i + 1, end, false)
  if (Number.isNaN(clock)) return NaN
  i = cursor
  if (i === end) return date + clock
  const zone = readZone(text, i, end)
  if (Number.isNaN(zone) || cursor !== end) return NaN
  return date + clock - zone * 60_000
}

const Months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

/** The month (1-12) whose three-letter name starts text at `at`, else 0. */
const monthAt = (text: string, at: number): number => {
  if (at + 3 > text.length) return 0
  const name = text.slice(at, at + 3).toLowerCase()
  return Months.indexOf(name) + 1
}

/** How far ahead of the receipt time a year-less date may lie (clocks drift; zones differ). */
const FutureSlack = 7 * 86_400_000

/**
 * A year-less date in the latest year that does not put it more than a week after the receipt
 * time: `Dec 31` received on Jan 1 is last year's, `Jan 1` received on Dec 31 next year's.
 */
const inferYear = (month: number, day: number, clock: number, zoneMinutes: number, receivedAt: number): number => {
  const receivedYear = new Date(receivedAt).getUTCFullYear()
  for (let year = receivedYear + 1; year >= receivedYear - 4; year--) {
    if (!validDate(year, month, day)) continue
    const time = Date.UTC(year, month - 1, day) + clock - zoneMinutes * 60_000
    if (time <= receivedAt + FutureSlack) return time
  }
  return NaN
}

/**
 * Reads a month-name date in text[start, end): `Mmm d[d][ yyyy] hh:mm:ss[.fff][ zone]`, the
 * syslog (RFC 3164), Cisco and CEF forms. Without a zone it is UTC; without a year, see inferYear. NaN when it is not exactly that.
 */
export const readMonthDate = (text: string, start: number, end: number, receivedAt: number): number =>
  scanMonthDate(text, start, end, receivedAt, true)

/** Where the last successful scanMonthDate stopped. */
export let dateEnd = 0

/**
 * Scans a month-name date from `start`; with `exact` it must reach `end`, otherwise it stops after
 * the clock (or the zone, when one follows) and `dateEnd` says where.
 */
export const scanMonthDate = (text: string, start: number, end: number, receivedAt: number, exact: boolean): number => {
  const month = monthAt(text, start)
  if (month === 0) return NaN
  let i = start + 3
  if (i >= end || text.charCodeAt(i) !== 32) return NaN
  while (i < end && text.charCodeAt(i) === 32) i++
  let day = digitsAt(text, i, 2)
  if (day >= 0) i += 2
  else {
    day = digitsAt(text, i, 1)
    if (day < 0) return NaN
    i += 1
  }
  if (i >= end || text.charCodeAt(i) !== 32) return NaN
  i++
  let year = -1
  const maybeYear = digitsAt(text, i, 4)
  if (maybeYear >= 0 && text.charCodeAt(i + 4) === 32) {
    year = maybeYear
    i += 5
  }
  const clock = readClock(text, i, end, true)
  if (Number.isNaN(clock)) return NaN
  i = cursor
  let zone = 0
  if (i < end) {
    let j = i
    while (j < end && text.charCodeAt(j) === 32) j++
    const maybeZone = j < end ? readZone(text, j, end) : NaN
    if (!Number.isNaN(maybeZone) && (cursor === end || text.charCodeAt(cursor) === 32 || text.charCodeAt(cursor) === 58)) {
      zone = maybeZone
      i = cursor
    }
  }
  if (exact && i !== end) return NaN
  dateEnd = i
  if (year >= 0) return validDate(year, month, day) ? Date.UTC(year, month - 1, day) + clock - zone * 60_000 : NaN
  return inferYear(month, day, clock, zone, receivedAt)
}
