// The bytes of the record in progress on a stream, bounded: once a record outgrows the limit its
// bytes are let go and only counted until its end, so a peer cannot make us hold more.

export class PendingRecord {
  private parts: Array<Buffer> = []
  private held = 0
  private discarding = false
  private discarded = 0

  constructor(private readonly maxBytes: number) {}

  /** Bytes held for the record; never more than the limit (0 while an oversize record is skipped). */
  get heldBytes(): number {
    return this.held
  }

  /** True between records: nothing held and no oversize record being skipped. */
  get idle(): boolean {
    return this.held === 0 && !this.discarding
  }

  /** Adds the next part of the record. */
  hold(part: Buffer): void {
    if (part.length === 0) return
    if (this.discarding) {
      this.discarded += part.length
      return
    }
    if (this.held + part.length > this.maxBytes) {
      // Recover at the record's end: drop what we hold and count everything until then.
      this.discarding = true
      this.discarded = this.held + part.length
      this.parts = []
      this.held = 0
      return
    }
    this.parts.push(part)
    this.held += part.length
  }

  /** Ends the record: its bytes (empty when nothing was held), or, when it was over the limit, how many bytes it had. */
  take(): Buffer | number {
    if (this.discarding) {
      const bytes = this.discarded
      this.discarding = false
      this.discarded = 0
      return bytes
    }
    if (this.held === 0) return Empty
    const bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.held)
    this.parts = []
    this.held = 0
    return bytes
  }

  /** Forgets the record in progress. */
  clear(): void {
    this.parts = []
    this.held = 0
    this.discarding = false
    this.discarded = 0
  }
}

const Empty = Buffer.alloc(0)
