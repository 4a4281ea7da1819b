// Base event IDs as words and as pooled chains: a UUID survives the round trip through four
// 32-bit words, chains read back newest first, and a released chain's cells are reused.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { readIdWords, writeIdWords } from "./EventIdWords.ts"
import { IdPool } from "./IdPool.ts"

const lowercaseUuid = fc.uuid().map((id) => id.toLowerCase())

describe("EventIdWords", () => {
  it("a canonical UUID reads back unchanged from its four words", () => {
    fc.assert(
      fc.property(lowercaseUuid, fc.nat({ max: 12 }), (id, offset) => {
        const words = new Uint32Array(16)
        writeIdWords(id, words, offset)
        expect(readIdWords(words, offset)).toBe(id)
      }),
      { numRuns: 500 }
    )
  })

  it("writes exactly four words at the offset and keeps the extremes (all zeros, all ones)", () => {
    const words = new Uint32Array(6).fill(7)
    writeIdWords("ffffffff-ffff-ffff-ffff-ffffffffffff", words, 1)
    expect([...words]).toEqual([7, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 7])
    writeIdWords("00000000-0000-0000-0000-000000000000", words, 1)
    expect(readIdWords(words, 1)).toBe("00000000-0000-0000-0000-000000000000")
    expect(readIdWords(new Uint32Array([0x01234567, 0x89abcdef, 0x0fedcba9, 0x87654321]), 0)).toBe("01234567-89ab-cdef-0fed-cba987654321")
  })
})

/** A chain as the pool sees it: its head cell and its IDs, newest first. */
interface Chain {
  head: number
  ids: Array<string>
}

const emptyChain = (): Chain => ({ head: -1, ids: [] })

const prepend = (pool: IdPool, chain: Chain, id: string): void => {
  chain.head = pool.prepend(chain.head, id)
  chain.ids.unshift(id)
}

const idOf = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`

describe("IdPool", () => {
  it("interleaved chains read back newest first", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: 4 }), lowercaseUuid), { maxLength: 300, size: "max" }), (steps) => {
        const pool = new IdPool()
        const chains = Array.from({ length: 5 }, emptyChain)
        for (const [chain, id] of steps) prepend(pool, chains[chain]!, id)
        for (const chain of chains) expect(pool.read(chain.head)).toEqual(chain.ids)
      }),
      { numRuns: 100 }
    )
  })

  it("reading the empty chain (-1) gives no IDs, and releasing it does nothing", () => {
    const pool = new IdPool()
    pool.release(-1)
    expect(pool.read(-1)).toEqual([])
  })

  it("grows past its first 1024 cells without losing IDs", () => {
    const pool = new IdPool()
    const before = pool.byteSize
    const chain = emptyChain()
    for (let i = 0; i < 5_000; i++) prepend(pool, chain, idOf(i))
    expect(pool.read(chain.head)).toEqual(chain.ids)
    expect(pool.byteSize).toBeGreaterThan(before)
  })

  it("a released chain's cells are reused before the pool grows, and other chains stay intact", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom("prepend", "prepend", "prepend", "release"), fc.nat({ max: 3 }), lowercaseUuid), { maxLength: 3_000, size: "max" }), (steps) => {
        const pool = new IdPool()
        const chains = Array.from({ length: 4 }, emptyChain)
        let live = 0
        let peak = 0
        for (const [op, index, id] of steps) {
          const chain = chains[index]!
          if (op === "release") {
            pool.release(chain.head)
            live -= chain.ids.length
            chains[index] = emptyChain()
          } else {
            prepend(pool, chain, id)
            live++
          }
          peak = Math.max(peak, live)
        }
        for (const chain of chains) expect(pool.read(chain.head)).toEqual(chain.ids)
        // 20 bytes a cell (four words and a link): never more cells than twice the peak of live IDs.
        expect(pool.byteSize / 20).toBeLessThanOrEqual(Math.max(1_024, 2 * peak))
      }),
      { numRuns: 100 }
    )
  })

  it("releasing and refilling a chain many times does not grow the pool", () => {
    const pool = new IdPool()
    const size = pool.byteSize
    for (let round = 0; round < 100; round++) {
      const chain = emptyChain()
      for (let i = 0; i < 1_000; i++) prepend(pool, chain, idOf(round * 1_000 + i))
      expect(pool.read(chain.head)).toEqual(chain.ids)
      pool.release(chain.head)
    }
    expect(pool.byteSize).toBe(size)
  })
})
