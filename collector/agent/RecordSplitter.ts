// Splits what a source reads into records and tells, for each, the stream offset just past its
// delimiter, so a file source can remember exactly how far its delivered records reach.
// Records stay bytes (the agent never decodes them); a record over the limit is skipped and counted.
import { PendingRecord } from "../connectors/PendingRecord.ts"

export interface SplitterSink {
  /** A complete record; `endOffset` is the stream position after its delimiter. */
  readonly record: (bytes: Buffer, endOffset: number) => void
  /** A record longer than the limit was skipped; the stream continues after it. */
  readonly oversize: (bytes: number, endOffset: number) => void
}

export class RecordSplitter {
  private readonly pending: PendingRecord
  private offset: number

  constructor(
    private readonly delimiter: number,
    maxRecordBytes: number,
    private readonly sink: SplitterSink,
    startOffset = 0
  ) {
    this.offset = startOffset
    this.pending = new PendingRecord(maxRecordBytes)
  }

  /** The stream position after everything pushed so far. */
  get position(): number {
    return this.offset
  }

  /** Bytes held for a record whose delimiter has not arrived yet. */
  get heldBytes(): number {
    return this.pending.heldBytes
  }

  /** Feeds the next chunk of the stream. The records may share the chunk's memory. */
  push(chunk: Buffer): void {
    let start = 0
    while (start < chunk.length) {
      const end = chunk.indexOf(this.delimiter, start)
      if (end === -1) {
        this.pending.hold(chunk.subarray(start))
        this.offset += chunk.length - start
        return
      }
      this.pending.hold(chunk.subarray(start, end))
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
    this.pending.clear()
    this.offset = offset
  }

  private emit(): void {
    const taken = this.pending.take()
    if (typeof taken === "number") this.sink.oversize(taken, this.offset)
    else if (taken.length > 0) this.sink.record(taken, this.offset)
  }
}
