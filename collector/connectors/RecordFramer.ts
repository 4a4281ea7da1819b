// Splits a byte stream into delimited records without copying more than once, and bounds the
// memory a peer can make us hold: past the record limit the rest of that record is discarded.

export interface FramerSink {
  readonly record: (text: string) => void
  /** A record longer than the limit was dropped (counted by the collector). */
  readonly oversize: (bytes: number) => void
}

export class RecordFramer {
  private pending: Array<Buffer> = []
  private pendingBytes = 0
  private discarding = false
  private discardedBytes = 0

  constructor(private readonly delimiter: number, private readonly maxRecordBytes: number, private readonly sink: FramerSink) {}

  /** Feeds a chunk as it arrived from the socket. */
  push(chunk: Buffer): void {
    let start = 0
    while (start < chunk.length) {
      const end = chunk.indexOf(this.delimiter, start)
      if (end === -1) {
        this.hold(chunk.subarray(start))
        return
      }
      this.hold(chunk.subarray(start, end))
      this.emit()
      start = end + 1
    }
  }

  /** The peer closed: what remains is the last record. */
  end(): void {
    this.emit()
  }

  private hold(part: Buffer): void {
    if (part.length === 0) return
    if (this.discarding) {
      this.discardedBytes += part.length
      return
    }
    if (this.pendingBytes + part.length > this.maxRecordBytes) {
      // Recover at the next delimiter: drop what we hold and everything until then.
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
      this.sink.oversize(this.discardedBytes)
      this.discarding = false
      this.discardedBytes = 0
      return
    }
    if (this.pendingBytes === 0) return
    const bytes = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes)
    this.pending = []
    this.pendingBytes = 0
    let text = bytes.toString("utf8")
    if (text.endsWith("\r")) text = text.slice(0, -1)
    if (text.length > 0) this.sink.record(text)
  }
}
