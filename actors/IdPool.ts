// A pool of base-event-ID cells shared by all buckets of a rule: each cell holds one UUID as four
// words and the index of the next cell, so a bucket's IDs are a linked chain with O(1) prepend;
// a released chain is walked once onto the free list.
import { readIdWords, writeIdWords } from "./EventIdWords.ts"

export class IdPool {
  private words = new Uint32Array(4 * 1024)
  private next = new Int32Array(1024)
  /** 1 where the ID was written in upper case (UUIDs may be); mixed case reads back as upper. */
  private upper = new Uint8Array(1024)
  private freeHead = -1
  private used = 0

  /** Stores `id` in a new cell in front of the chain at `head` (-1: none); returns the new head. */
  prepend(head: number, id: string): number {
    const cell = this.allocate()
    this.upper[cell] = writeIdWords(id, this.words, cell * 4) ? 1 : 0
    this.next[cell] = head
    return cell
  }

  /** The IDs of the chain starting at `head`, in order. */
  read(head: number): Array<string> {
    const ids: Array<string> = []
    for (let cell = head; cell >= 0; cell = this.next[cell]!) ids.push(readIdWords(this.words, cell * 4, this.upper[cell] === 1))
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
    return this.words.byteLength + this.next.byteLength + this.upper.byteLength
  }

  private allocate(): number {
    if (this.freeHead >= 0) {
      const cell = this.freeHead
      this.freeHead = this.next[cell]!
      return cell
    }
    if (this.used === this.next.length) {
      const cells = Math.ceil(this.next.length * 1.5)
      const words = new Uint32Array(cells * 4)
      words.set(this.words)
      this.words = words
      const upper = new Uint8Array(cells)
      upper.set(this.upper)
      this.upper = upper
      const next = new Int32Array(cells)
      next.set(this.next)
      this.next = next
    }
    return this.used++
  }
}
