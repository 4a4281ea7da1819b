// Event IDs (UUIDs) as four 32-bit words, so buckets keep base event IDs in typed arrays
// (16 bytes each) instead of retaining strings.

const hexValue = (code: number): number => (code <= 57 ? code - 48 : (code | 32) - 87)

/** Writes the UUID's 128 bits into `words` at `offset` (4 words); true when it had upper-case hex. */
export const writeIdWords = (id: string, words: Uint32Array, offset: number): boolean => {
  let upper = false
  let word = 0
  let nibbles = 0
  let index = offset
  for (let i = 0; i < id.length; i++) {
    const code = id.charCodeAt(i)
    if (code === 45) continue
    if (code >= 65 && code <= 70) upper = true
    word = ((word << 4) | hexValue(code)) >>> 0
    if (++nibbles === 8) {
      words[index++] = word
      word = 0
      nibbles = 0
    }
  }
  return upper
}

const hex8 = (word: number): string => word.toString(16).padStart(8, "0")

/** Reads the UUID stored at `offset` back as text, upper-case when it was written so. */
export const readIdWords = (words: Uint32Array, offset: number, upper = false): string => {
  const a = hex8(words[offset]!)
  const b = hex8(words[offset + 1]!)
  const c = hex8(words[offset + 2]!)
  const d = hex8(words[offset + 3]!)
  const id = `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`
  return upper ? id.toUpperCase() : id
}
