// Highest-random-weight (rendezvous) hashing: the target owner of a partition is the member with
// the highest score for (member, partition), so a membership change moves only the changed share.

// Murmur3 (32-bit) constants: a public, well-studied mix that needs only 32-bit integer math.
const C1 = 0xcc9e2d51
const C2 = 0x1b873593

const mixWord = (hash: number, word: number): number => {
  let k = Math.imul(word, C1)
  k = (k << 15) | (k >>> 17)
  k = Math.imul(k, C2)
  const h = hash ^ k
  return (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0
}

const finalize = (hash: number, length: number): number => {
  let h = hash ^ length
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

// Each UTF-16 code unit is one word: stable across platforms and cheap, with no encoding step.
const hashString = (text: string, seed: number): number => {
  let hash = seed
  for (let index = 0; index < text.length; index++) hash = mixWord(hash, text.charCodeAt(index))
  return finalize(hash, text.length)
}

// Two independently seeded lanes make a 64-bit score, so ties need two 32-bit collisions at once.
const SeedHigh = 0x5bd1e995
const SeedLow = 0x27d4eb2f

interface Hashed {
  readonly name: string
  readonly high: number
  readonly low: number
}

const hashed = (name: string): Hashed => ({ name, high: hashString(name, SeedHigh), low: hashString(name, SeedLow) })

const pairScore = (member: number, partition: number, seed: number): number => finalize(mixWord(mixWord(seed, member), partition), 8)

/** Picks the highest-scoring member; equal scores fall to the smaller name, so the input order never matters. */
const winner = (partition: Hashed, members: ReadonlyArray<Hashed>): string | undefined => {
  let best: Hashed | undefined
  let bestHigh = -1
  let bestLow = -1
  for (const member of members) {
    const high = pairScore(member.high, partition.high, SeedHigh)
    if (high < bestHigh) continue
    const low = pairScore(member.low, partition.low, SeedLow)
    if (best === undefined || high > bestHigh || low > bestLow || (low === bestLow && member.name < best.name)) {
      best = member
      bestHigh = high
      bestLow = low
    }
  }
  return best?.name
}

/** The member that should own `partitionKey`, or undefined when there are no members. */
export const ownerOf = (partitionKey: string, members: ReadonlyArray<string>): string | undefined =>
  winner(hashed(partitionKey), members.map(hashed))

/** The target owner of every partition; empty when there are no members. */
export const assign = (partitions: ReadonlyArray<string>, members: ReadonlyArray<string>): Map<string, string> => {
  const hashedMembers = members.map(hashed)
  const owners = new Map<string, string>()
  for (const partition of partitions) {
    const owner = winner(hashed(partition), hashedMembers)
    if (owner !== undefined) owners.set(partition, owner)
  }
  return owners
}
