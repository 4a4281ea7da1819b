// IP address and CIDR parsing for inSubnet: IPv4, IPv6 (`::`, embedded IPv4, zones), the forms
// that must be refused, prefix edge cases, and agreement with Node's own parser and BlockList.
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as fc from "fast-check"
import { BlockList, isIP } from "node:net"
import * as IpAddress from "./IpAddress.ts"

/** The parsed address as eight 16-bit groups, which reads like IPv6 text. */
const groupsOf = (text: string): Array<number> | undefined => {
  const words = IpAddress.parse(text)
  if (words === undefined) return undefined
  return Array.from(words).flatMap((word) => [(word >>> 16) & 0xffff, word & 0xffff])
}

const cidr = (text: string): IpAddress.Cidr => {
  const parsed = IpAddress.parseCidr(text)
  if (Either.isLeft(parsed)) throw new Error(`expected a valid CIDR: ${text}: ${parsed.left}`)
  return parsed.right
}

const cidrError = (text: string): string => {
  const parsed = IpAddress.parseCidr(text)
  if (Either.isRight(parsed)) throw new Error(`expected an invalid CIDR: ${text}`)
  return parsed.left
}

const inCidr = (range: string, address: string): boolean => {
  const words = IpAddress.parse(address)
  if (words === undefined) throw new Error(`expected an address: ${address}`)
  return IpAddress.contains(cidr(range), words)
}

describe("IpAddress IPv4", () => {
  it("parses dotted quads into the IPv4-mapped part of the 128-bit space", () => {
    expect(groupsOf("10.1.2.3")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0a01, 0x0203])
    expect(groupsOf("0.0.0.0")).toEqual([0, 0, 0, 0, 0, 0xffff, 0, 0])
    expect(groupsOf("255.255.255.255")).toEqual([0, 0, 0, 0, 0, 0xffff, 0xffff, 0xffff])
  })

  it("refuses anything but four decimal parts of 0-255 without leading zeros", () => {
    for (const text of ["", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.-4", "01.2.3.4", "1.2.3.04", "1..3.4", ".1.2.3", "1.2.3.4.", "a.b.c.d", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4/8", "1.2.3.4%eth0", "0x1.2.3.4", "1.2.3.1000"]) {
      expect(IpAddress.parse(text), JSON.stringify(text)).toBeUndefined()
    }
  })
})

describe("IpAddress IPv6", () => {
  it("expands :: anywhere, and :: alone is the zero address", () => {
    expect(groupsOf("::")).toEqual([0, 0, 0, 0, 0, 0, 0, 0])
    expect(groupsOf("::1")).toEqual([0, 0, 0, 0, 0, 0, 0, 1])
    expect(groupsOf("1::")).toEqual([1, 0, 0, 0, 0, 0, 0, 0])
    expect(groupsOf("2001:db8::ff00:42:8329")).toEqual([0x2001, 0xdb8, 0, 0, 0, 0xff00, 0x42, 0x8329])
    expect(groupsOf("1:2:3:4:5:6:7::")).toEqual([1, 2, 3, 4, 5, 6, 7, 0])
    expect(groupsOf("::2:3:4:5:6:7:8")).toEqual([0, 2, 3, 4, 5, 6, 7, 8])
  })

  it("reads the full form, leading zeros in groups and either case of hex digits", () => {
    expect(groupsOf("2001:0DB8:0000:0000:0000:FF00:0042:8329")).toEqual(groupsOf("2001:db8::ff00:42:8329"))
    expect(groupsOf("ffff:FFFF:fFfF:0:0:0:0:0")).toEqual([0xffff, 0xffff, 0xffff, 0, 0, 0, 0, 0])
  })

  it("reads an embedded IPv4 tail; IPv4-mapped text equals the IPv4 address", () => {
    expect(groupsOf("::ffff:10.0.0.1")).toEqual(groupsOf("10.0.0.1"))
    expect(groupsOf("::ffff:a00:1")).toEqual(groupsOf("10.0.0.1"))
    expect(groupsOf("64:ff9b::192.0.2.33")).toEqual([0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0221])
    expect(groupsOf("1:2:3:4:5:6:1.2.3.4")).toEqual([1, 2, 3, 4, 5, 6, 0x0102, 0x0304])
    expect(groupsOf("::1.2.3.4")).toEqual([0, 0, 0, 0, 0, 0, 0x0102, 0x0304])
  })

  it("accepts and ignores a zone", () => {
    expect(groupsOf("fe80::1%eth0")).toEqual(groupsOf("fe80::1"))
    expect(IpAddress.parse("fe80::1%")).toBeUndefined()
  })

  it("refuses malformed IPv6", () => {
    const bad = [
      ":", ":::", "1:::2", "1::2::3", ":1::", "1::2:", ":1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7::8", "12345::", "g::", "::ffff:1.2.3", "::1.2.3.4:1", "::ffff:01.2.3.4", "1:2:3:4:5:6:7:1.2.3.4",
      "::ffff:1.2.3.256", "[::1]", "::1 ", " ::1", "1:2"
    ]
    for (const text of bad) expect(IpAddress.parse(text), text).toBeUndefined()
  })

  it("accepts exactly what Node's parser accepts, on random address-like text", () => {
    const alphabet = fc.constantFrom(..."0123456789abcdefABCDEF:.".split(""), "::", "ffff", "255", "1.2.3.4")
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 16 }).map((parts) => parts.join("")), (text) => {
        expect(IpAddress.parse(text) !== undefined, text).toBe(isIP(text) !== 0)
      }),
      { numRuns: 5000 }
    )
  })

  it("reads every spelling of a random address to the same groups", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 8 }), (groups, from, length) => {
        const hex = groups.map((group) => group.toString(16))
        expect(groupsOf(hex.join(":"))).toEqual(groups)
        expect(groupsOf(hex.map((group) => group.padStart(4, "0").toUpperCase()).join(":"))).toEqual(groups)
        // Compress a run of groups into `::` when they are all zero.
        const to = Math.min(8, from + length)
        if (to - from >= 1 && groups.slice(from, to).every((group) => group === 0)) {
          expect(groupsOf(`${hex.slice(0, from).join(":")}::${hex.slice(to).join(":")}`)).toEqual(groups)
        }
        const zeroed = [...groups.slice(0, from), ...groups.slice(from, to).map(() => 0), ...groups.slice(to)]
        const zeroedHex = zeroed.map((group) => group.toString(16))
        expect(groupsOf(`${zeroedHex.slice(0, from).join(":")}::${zeroedHex.slice(to).join(":")}`)).toEqual(zeroed)
      })
    )
  })
})

describe("IpAddress CIDR ranges", () => {
  it("/0 holds every address of its family (::/0 every address at all)", () => {
    expect(inCidr("0.0.0.0/0", "255.255.255.255")).toBe(true)
    expect(inCidr("0.0.0.0/0", "::ffff:1.2.3.4")).toBe(true)
    expect(inCidr("0.0.0.0/0", "::1")).toBe(false)
    expect(inCidr("::/0", "::1")).toBe(true)
    expect(inCidr("::/0", "10.0.0.1")).toBe(true)
  })

  it("/32 and /128 hold one address; a bare address is the same", () => {
    expect(inCidr("10.0.0.1/32", "10.0.0.1")).toBe(true)
    expect(inCidr("10.0.0.1/32", "10.0.0.2")).toBe(false)
    expect(inCidr("10.0.0.1", "10.0.0.1")).toBe(true)
    expect(inCidr("2001:db8::1/128", "2001:db8::1")).toBe(true)
    expect(inCidr("2001:db8::1/128", "2001:db8::2")).toBe(false)
    expect(inCidr("::1", "::1")).toBe(true)
    expect(cidr("::1").prefix).toBe(128)
    expect(cidr("10.0.0.1").prefix).toBe(32)
  })

  it("a prefix that is not a multiple of 8 splits inside a byte", () => {
    expect(inCidr("172.16.0.0/12", "172.31.255.255")).toBe(true)
    expect(inCidr("172.16.0.0/12", "172.32.0.0")).toBe(false)
    expect(inCidr("172.16.0.0/12", "172.15.255.255")).toBe(false)
    expect(inCidr("10.8.0.0/13", "10.15.1.1")).toBe(true)
    expect(inCidr("10.8.0.0/13", "10.16.0.0")).toBe(false)
    expect(inCidr("2001:db8:8000::/33", "2001:db8:ffff::1")).toBe(true)
    expect(inCidr("2001:db8:8000::/33", "2001:db8:7fff::1")).toBe(false)
    expect(inCidr("fc00::/7", "fdff::1")).toBe(true)
    expect(inCidr("fc00::/7", "fe00::1")).toBe(false)
    expect(inCidr("::ffff:0:0/96", "1.2.3.4")).toBe(true)
  })

  it("refuses bad prefixes, bad addresses and host bits after the prefix", () => {
    expect(cidrError("10.0.0.0/33")).toBe("the prefix length must be a whole number from 0 to 32")
    expect(cidrError("::/129")).toBe("the prefix length must be a whole number from 0 to 128")
    for (const text of ["10.0.0.0/", "10.0.0.0/08", "10.0.0.0/+8", "10.0.0.0/8/8", "10.0.0.0/-1", "10.0.0.0/ 8", "10.0.0.0/1e1"]) {
      expect(cidrError(text), text).toMatch(/prefix length/)
    }
    expect(cidrError("/8")).toBe("'' is not an IPv4 address")
    expect(cidrError("10.0.0/8")).toBe("'10.0.0' is not an IPv4 address")
    expect(cidrError("fe80::1%eth0/64")).toBe("'fe80::1%eth0' is not an IPv6 address")
    expect(cidrError("10.0.0.1/8")).toBe("the address has bits set beyond its /8 prefix")
    expect(cidrError("2001:db8::1/32")).toBe("the address has bits set beyond its /32 prefix")
    expect(cidrError("0.0.0.1/0")).toMatch(/bits set/)
  })

  it("agrees with Node's BlockList on random ranges and nearby addresses", () => {
    const ipv4 = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 0xffffffff })).map(([base, prefix, noise]) => {
      const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
      const network = (base & mask) >>> 0
      // Addresses near the range: flip one of the bits around the prefix boundary.
      const address = (network ^ (noise & ((1 << (noise % 32)) >>> 0))) >>> 0
      const dotted = (value: number) => [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join(".")
      return { range: `${dotted(network)}/${prefix}`, network: dotted(network), prefix, address: dotted(address), family: "ipv4" as const }
    })
    const ipv6 = fc.tuple(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 128 }), fc.integer({ min: 0, max: 127 })).map(([groups, prefix, flip]) => {
      const network = groups.map((group, index) => {
        const bits = Math.min(16, Math.max(0, prefix - index * 16))
        return bits === 0 ? 0 : group & ((0xffff << (16 - bits)) & 0xffff)
      })
      const address = network.map((group, index) => (index === flip >> 4 ? group ^ (1 << (15 - (flip & 15))) : group))
      const text = (value: ReadonlyArray<number>) => value.map((group) => group.toString(16)).join(":")
      return { range: `${text(network)}/${prefix}`, network: text(network), prefix, address: text(address), family: "ipv6" as const }
    })
    fc.assert(
      fc.property(fc.oneof(ipv4, ipv6), ({ range, network, prefix, address, family }) => {
        const blockList = new BlockList()
        blockList.addSubnet(network, prefix, family)
        expect(inCidr(range, address), `${address} in ${range}`).toBe(blockList.check(address, family))
        expect(inCidr(range, network)).toBe(true)
      }),
      { numRuns: 2000 }
    )
  })
})
