// Splits what a source reads into records and tells, for each, the stream offset just past its
// delimiter, so a file source can remember exactly how far its delivered records reach.
// Records stay bytes (the agent never decodes them); a record over the limit is skipped and counted.

export interface SplitterSink {
  /** A complete record; `endOffset` is the stream position after its delimiter. */
  readonly record: (bytes: Buffer, endOffset: number) => void
  /** A record longer than the limit was skipped; the stream continues after it. */
  readonly oversize: (bytes: number, endOffset: number) => void
}

export class RecordSplitter {
  private pending: Array<Buffer> = []
  private pendingBytes = 0
  private discarding = false
  private discardedBytes = 0
  private offset: number

  constructor(
    private readonly delimiter: number,
    private readonly maxRecordBytes: number,
    private readonly sink: SplitterSink,
    startOffset = 0
  ) {
    this.offset = startOffset
  }

  /** The stream position after everything pushed so far. */
  get position(): number {
    return this.offset
  }

  /** Bytes held for a record whose delimiter has not arrived yet. */
  get heldBytes(): number {
    return this.discarding ? 0 : this.pendingBytes
  }

  /** Feeds the next chunk of the stream. The records may share the chunk's memory. */
  push(chunk: Buffer): void {
    let start = 0
    while (start < chunk.length) {
      const end = chunk.indexOf(this.delimiter, start)
      if (end === -1) {
        this.hold(chunk.subarray(start))
        this.offset += chunk.length - start
        return
      }
      this.hold(chunk.subarray(start, end))
      this.offset += end + 1 - start
      this.emit()
      start = end + 1
    }
  }

  /** The stream ended (stdin, a socket, a rotated file): what remains is the last record. */
  end(): void {
    this.emit()
  }

  /** Forgets a partial record (a truncated file is read again from `offset`). */
  reset(offset: number): void {
    this.pending = []
    this.pendingBytes = 0
    this.discarding = false
    this.discardedBytes = 0
    this.offset = offset
  }

  private hold(part: Buffer): void {
    if (part.length === 0) return
    if (this.discarding) {
      this.discardedBytes += part.length
      return
    }
    if (this.pendingBytes + part.length > this.maxRecordBytes) {
      this.discarding = true
      this.discardedBytes = this.pendingBytes + part.length
      this.pending = []
      this.pendingBytes = 0
      return
    }
    this.pending.push(part)
    this.pendingBytes += part.length
  }

  private emit(): void {
    if (this.discarding) {
      this.sink.oversize(this.discardedBytes, this.offset)
      this.discarding = false
      this.discardedBytes = 0
      return
    }
    if (this.pendingBytes === 0) return
    const bytes = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes)
    this.pending = []
    this.pendingBytes = 0
    this.sink.record(bytes, this.offset)
  }
}
