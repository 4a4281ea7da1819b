// Properties of rendezvous hashing: determinism, minimal movement on membership changes, and
// balance. The statistical ones run on fixed seeds so a rare unlucky draw cannot flake a build.
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { CorrelatorId } from "../../model/Ids.ts"
import { partitionKey } from "./OwnershipNames.ts"
import { assign, ownerOf } from "./Rendezvous.ts"

const nodeId = fc.stringMatching(/^[a-z0-9-]{1,24}$/)
const memberSet = (minLength: number, maxLength: number) => fc.uniqueArray(nodeId, { minLength, maxLength })
const partitionKeys = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 80 })

const partitionsOf = (correlators: number, partitionsEach: number): Array<string> =>
  Array.from({ length: correlators }, (_, c) => Array.from({ length: partitionsEach }, (_, p) => partitionKey(`correlator-${c}` as CorrelatorId, p))).flat()

/** The share of partitions whose owner differs between two assignments. */
const movedShare = (before: Map<string, string>, after: Map<string, string>): number => {
  let moved = 0
  for (const [partition, owner] of before) if (after.get(partition) !== owner) moved++
  return moved / before.size
}

describe("Rendezvous", () => {
  it("gives no owner without members and the only member with one", () => {
    expect(ownerOf("c/0", [])).toBeUndefined()
    expect(assign(["c/0", "c/1"], []).size).toBe(0)
    expect(ownerOf("c/0", ["node-a"])).toBe("node-a")
  })

  it("is deterministic and independent of member order and duplicates", () => {
    fc.assert(
      fc.property(partitionKeys, memberSet(1, 12), fc.nat(), (partitions, members, rotation) => {
        const shuffled = [...members.slice(rotation % members.length), ...members.slice(0, rotation % members.length)].reverse()
        const owners = assign(partitions, members)
        expect(assign(partitions, shuffled)).toEqual(owners)
        expect(assign(partitions, [...members, ...members])).toEqual(owners)
        for (const partition of partitions) {
          expect(ownerOf(partition, members)).toBe(owners.get(partition))
          expect(members).toContain(owners.get(partition))
        }
      })
    )
  })

  it("removing a member moves only the partitions it owned", () => {
    fc.assert(
      fc.property(partitionKeys, memberSet(2, 12), fc.nat(), (partitions, members, pick) => {
        const removed = members[pick % members.length]!
        const before = assign(partitions, members)
        const after = assign(partitions, members.filter((member) => member !== removed))
        for (const partition of partitions) {
          if (before.get(partition) !== removed) expect(after.get(partition)).toBe(before.get(partition))
          else expect(after.get(partition)).not.toBe(removed)
        }
      })
    )
  })

  it("adding a member moves partitions only to the new member", () => {
    fc.assert(
      fc.property(partitionKeys, memberSet(2, 12), (partitions, members) => {
        const [added, ...existing] = members as [string, ...Array<string>]
        const before = assign(partitions, existing)
        const after = assign(partitions, members)
        for (const partition of partitions) {
          const owner = after.get(partition)
          expect(owner === before.get(partition) || owner === added).toBe(true)
        }
      })
    )
  })

  for (const size of [2, 3, 5, 8]) {
    it(`adding a member to ${size} moves on average 1/${size + 1} of 64 partitions (within 5 points, 20 member sets)`, () => {
      const partitions = partitionsOf(1, 64)
      const samples = fc.sample(memberSet(size + 1, size + 1), { seed: 6_100 + size, numRuns: 20 })
      const shares = samples.map((members) => {
        const [added, ...existing] = members as [string, ...Array<string>]
        const share = movedShare(assign(partitions, existing), assign(partitions, members))
        expect(share).toBeGreaterThan(0)
        expect([...assign(partitions, members).values()].filter((owner) => owner === added)).toHaveLength(Math.round(share * 64))
        return share
      })
      const average = shares.reduce((sum, share) => sum + share, 0) / shares.length
      expect(Math.abs(average - 1 / (size + 1))).toBeLessThanOrEqual(0.05)
    })
  }

  it("balances 10 correlators x 64 partitions over 3 members: each gets 25% to 42%", () => {
    const partitions = partitionsOf(10, 64)
    fc.assert(
      fc.property(memberSet(3, 3), (members) => {
        const counts = new Map<string, number>()
        for (const owner of assign(partitions, members).values()) counts.set(owner, (counts.get(owner) ?? 0) + 1)
        for (const member of members) {
          const share = (counts.get(member) ?? 0) / partitions.length
          expect(share).toBeGreaterThanOrEqual(0.25)
          expect(share).toBeLessThanOrEqual(0.42)
        }
      }),
      { seed: 6_006, numRuns: 50 }
    )
  })

  it("balances realistic node names too: node-1, node-2, node-3", () => {
    const counts = new Map<string, number>()
    const partitions = partitionsOf(10, 64)
    for (const owner of assign(partitions, ["node-1", "node-2", "node-3"]).values()) counts.set(owner, (counts.get(owner) ?? 0) + 1)
    for (const count of counts.values()) {
      expect(count / partitions.length).toBeGreaterThanOrEqual(0.25)
      expect(count / partitions.length).toBeLessThanOrEqual(0.42)
    }
    expect(counts.size).toBe(3)
  })
})
