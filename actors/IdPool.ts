// A pool of base-event-ID cells shared by all buckets of a rule: each cell holds one UUID as four
// words and the index of the next cell, so a bucket's IDs are a linked chain with O(1) prepend;
// a released chain is walked once onto the free list.
import { readIdWords, writeIdWords } from "./EventIdWords.ts"

export class IdPool {
  private words = new Uint32Array(4 * 1024)
  private next = new Int32Array(1024)
  /** Cells whose ID was written in upper case (rare; UUIDs may be); mixed case reads back as upper. */
  private readonly upper = new Set<number>()
  private freeHead = -1
  private used = 0

  /** Stores `id` in a new cell in front of the chain at `head` (-1: none); returns the new head. */
  prepend(head: number, id: string): number {
    const cell = this.allocate()
    if (writeIdWords(id, this.words, cell * 4)) this.upper.add(cell)
    else if (this.upper.size > 0) this.upper.delete(cell)
    this.next[cell] = head
    return cell
  }

  /** The IDs of the chain starting at `head`, in order. */
  read(head: number): Array<string> {
    const ids: Array<string> = []
    for (let cell = head; cell >= 0; cell = this.next[cell]!) ids.push(readIdWords(this.words, cell * 4, this.upper.size > 0 && this.upper.has(cell)))
    return ids
  }

  /** Returns a whole chain to the pool. */
  release(head: number): void {
    let cell = head
    while (cell >= 0) {
      const next = this.next[cell]!
      this.next[cell] = this.freeHead
      this.freeHead = cell
      cell = next
    }
  }

  /** Bytes held by the pool's arrays. */
  get byteSize(): number {
    return this.words.byteLength + this.next.byteLength
  }

  private allocate(): number {
    if (this.freeHead >= 0) {
      const cell = this.freeHead
      this.freeHead = this.next[cell]!
      return cell
    }
    if (this.used === this.next.length) {
      // Growing by a quarter: ID cells are most of a bucket's bytes, so slack matters here.
      const cells = Math.ceil(this.next.length * 1.25)
      const words = new Uint32Array(cells * 4)
      words.set(this.words)
      this.words = words
      const next = new Int32Array(cells)
      next.set(this.next)
      this.next = next
    }
    return this.used++
  }
}
