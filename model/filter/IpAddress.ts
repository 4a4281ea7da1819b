// IPv4 and IPv6 addresses and CIDR ranges for the filter language's inSubnet (SPEC §4). Every
// address lives in one 128-bit space (IPv4 as IPv4-mapped `::ffff:a.b.c.d`), so a mapped IPv6
// address matches IPv4 ranges; parsing an event's address allocates nothing.
import { Either } from "effect"

/** An address as four big-endian 32-bit words (word 0 holds the first 32 of the 128 bits). */
export type Words = Int32Array

/** A parsed CIDR range: the network and mask in the 128-bit space. */
export interface Cidr {
  readonly family: 4 | 6
  /** The prefix length as written (0-32 for IPv4, 0-128 for IPv6). */
  readonly prefix: number
  readonly network: Words
  readonly mask: Words
}

/** A fresh, zeroed word buffer: callers keep one per compiled predicate and reuse it per event. */
export const makeWords = (): Words => new Int32Array(4)

// Scratch space for IPv6 groups; parsing is synchronous and never re-entered.
const groups = new Uint16Array(8)

const hexValue = (code: number): number =>
  code >= 48 && code <= 57 ? code - 48 : code >= 97 && code <= 102 ? code - 87 : code >= 65 && code <= 70 ? code - 55 : -1

/**
 * Reads dotted-quad IPv4 from text[start, end) into `groups[at]` and `groups[at + 1]`. Each part is
 * 0-255 without leading zeros, so '010.0.0.1' (octal to some parsers) is rejected rather than guessed.
 */
const readIpv4 = (text: string, start: number, end: number, at: number): boolean => {
  let part = 0
  let parts = 0
  let digits = 0
  let high = 0
  for (let i = start; i <= end; i++) {
    const code = i < end ? text.charCodeAt(i) : 46
    if (code === 46) {
      if (digits === 0 || parts === 4) return false
      if (parts % 2 === 0) high = part
      else groups[at + (parts >> 1)] = (high << 8) | part
      parts++
      part = 0
      digits = 0
    } else if (code >= 48 && code <= 57) {
      if (digits > 0 && part === 0) return false
      part = part * 10 + (code - 48)
      digits++
      if (part > 255) return false
    } else return false
  }
  return parts === 4
}

/** Reads IPv6 text[start, end) into `groups`, expanding `::` and an embedded IPv4 tail. */
const readIpv6 = (text: string, start: number, end: number): boolean => {
  let i = start
  let count = 0
  let gap = -1
  if (end - i >= 2 && text.charCodeAt(i) === 58 && text.charCodeAt(i + 1) === 58) {
    gap = 0
    i += 2
  } else if (i < end && text.charCodeAt(i) === 58) return false
  while (i < end) {
    let value = 0
    let digits = 0
    let j = i
    for (; j < end && digits <= 4; j++) {
      const digit = hexValue(text.charCodeAt(j))
      if (digit < 0) break
      value = value * 16 + digit
      digits++
    }
    if (j < end && text.charCodeAt(j) === 46) {
      // An IPv4 tail fills the last two groups and must end the address.
      if (count > 6 || !readIpv4(text, i, end, count)) return false
      count += 2
      i = end
      break
    }
    if (digits === 0 || digits > 4 || count === 8) return false
    groups[count++] = value
    i = j
    if (i === end) break
    if (text.charCodeAt(i) !== 58) return false
    i++
    if (i < end && text.charCodeAt(i) === 58) {
      if (gap >= 0) return false
      gap = count
      i++
    } else if (i === end) return false
  }
  if (gap < 0) return count === 8
  // `::` stands for at least one zero group.
  if (count > 7) return false
  const moved = count - gap
  for (let k = 0; k < moved; k++) groups[7 - k] = groups[count - 1 - k]!
  for (let k = gap; k < 8 - moved; k++) groups[k] = 0
  return true
}

const storeGroups = (target: Words): void => {
  for (let word = 0; word < 4; word++) target[word] = (groups[word * 2]! << 16) | groups[word * 2 + 1]!
}

/**
 * Parses an IPv4 or IPv6 address into `target` without allocating; false when `text` is not an
 * address. An IPv6 zone (`fe80::1%eth0`) is accepted and ignored.
 */
export const parseInto = (text: string, target: Words): boolean => {
  // The first '.' or ':' tells the family: it comes within five characters in either notation.
  let family = 0
  for (let i = 0; i < 5 && i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code === 46 || code === 58) {
      family = code === 46 ? 4 : 6
      break
    }
  }
  if (family === 4) {
    if (!readIpv4(text, 0, text.length, 6)) return false
    target[0] = 0
    target[1] = 0
    target[2] = 0xffff
    target[3] = (groups[6]! << 16) | groups[7]!
    return true
  }
  if (family === 0) return false
  const zone = text.indexOf("%")
  if (zone === text.length - 1) return false
  if (!readIpv6(text, 0, zone >= 0 ? zone : text.length)) return false
  storeGroups(target)
  return true
}

/** Parses an address, or undefined when `text` is not one (allocates; for compile time and tests). */
export const parse = (text: string): Words | undefined => {
  const words = makeWords()
  return parseInto(text, words) ? words : undefined
}

/** True when `text` is IPv4 dotted-quad notation (as opposed to IPv6). */
const isIpv4Text = (text: string): boolean => !text.includes(":")

const maskOf = (prefix128: number): Words => {
  const mask = makeWords()
  for (let word = 0; word < 4; word++) {
    const bits = Math.min(32, Math.max(0, prefix128 - word * 32))
    // A shift by 32 is a shift by 0 in JavaScript, hence the explicit full and empty words.
    mask[word] = bits === 0 ? 0 : bits === 32 ? -1 : -1 << (32 - bits)
  }
  return mask
}

/**
 * Parses a CIDR range (`10.0.0.0/8`, `2001:db8::/32`; a bare address is a single host). Fails with
 * the reason, also when bits are set after the prefix (`10.0.0.1/8`), which usually means a typo.
 */
export const parseCidr = (text: string): Either.Either<Cidr, string> => {
  const slash = text.indexOf("/")
  const addressText = slash < 0 ? text : text.slice(0, slash)
  const family = isIpv4Text(addressText) ? 4 : 6
  const address = addressText.includes("%") ? undefined : parse(addressText)
  if (address === undefined) return Either.left(`'${addressText}' is not an IP${family === 4 ? "v4" : "v6"} address`)
  const maxPrefix = family === 4 ? 32 : 128
  let prefix = maxPrefix
  if (slash >= 0) {
    const prefixText = text.slice(slash + 1)
    if (!/^(0|[1-9]\d{0,2})$/.test(prefixText) || Number(prefixText) > maxPrefix) {
      return Either.left(`the prefix length must be a whole number from 0 to ${maxPrefix}`)
    }
    prefix = Number(prefixText)
  }
  const mask = maskOf(family === 4 ? 96 + prefix : prefix)
  for (let word = 0; word < 4; word++) {
    if ((address[word]! & ~mask[word]!) !== 0) {
      return Either.left(`the address has bits set beyond its /${prefix} prefix`)
    }
  }
  return Either.right({ family, prefix, network: address, mask })
}

/** True when the parsed address `words` lies inside `cidr`. */
export const contains = (cidr: Cidr, words: Words): boolean => {
  const { network, mask } = cidr
  return (
    (words[0]! & mask[0]!) === network[0] &&
    (words[1]! & mask[1]!) === network[1] &&
    (words[2]! & mask[2]!) === network[2] &&
    (words[3]! & mask[3]!) === network[3]
  )
}
