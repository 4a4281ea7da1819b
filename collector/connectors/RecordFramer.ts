// Splits a byte stream into delimited records without copying more than once, and bounds the
// memory a peer can make us hold: past the record limit the rest of that record is discarded.
import { PendingRecord } from "./PendingRecord.ts"

export interface FramerSink {
  readonly record: (text: string) => void
  /** A record longer than the limit was dropped (counted by the collector). */
  readonly oversize: (bytes: number) => void
}

/** Where every byte a framer was given went; their sum is the input length once the stream ended. */
export interface FramerTally {
  /** Bytes of records handed to the sink. */
  recordBytes: number
  /** Bytes of oversize records and of input skipped to resynchronize. */
  discardedBytes: number
  /** Delimiters, headers and the stripped CR of CRLF. */
  framingBytes: number
}

const CarriageReturn = 0x0d

export class RecordFramer {
  private readonly pending: PendingRecord
  readonly tally: FramerTally = { recordBytes: 0, discardedBytes: 0, framingBytes: 0 }

  constructor(private readonly delimiter: number, private readonly maxRecordBytes: number, private readonly sink: FramerSink) {
    this.pending = new PendingRecord(maxRecordBytes)
  }

  /** Bytes held for the record in progress; never more than the record limit. */
  get heldBytes(): number {
    return this.pending.heldBytes
  }

  /** Feeds a chunk as it arrived from the socket. */
  push(chunk: Buffer): void {
    let start = 0
    while (start < chunk.length) {
      const end = chunk.indexOf(this.delimiter, start)
      if (end === -1) {
        this.pending.hold(chunk.subarray(start))
        return
      }
      this.tally.framingBytes++
      if (this.pending.idle && end - start <= this.maxRecordBytes) {
        // The common case, a whole record inside one chunk: decoded in place, no Buffer view per record.
        this.emitWithin(chunk, start, end)
      } else {
        this.pending.hold(chunk.subarray(start, end))
        this.emit()
      }
      start = end + 1
    }
  }

  /** The peer closed: what remains is the last record. */
  end(): void {
    this.emit()
  }

  private emitWithin(chunk: Buffer, start: number, end: number): void {
    let last = end
    if (last > start && chunk[last - 1] === CarriageReturn) {
      last--
      this.tally.framingBytes++
    }
    if (last === start) return
    this.tally.recordBytes += last - start
    this.sink.record(chunk.toString("utf8", start, last))
  }

  private emit(): void {
    const taken = this.pending.take()
    if (typeof taken === "number") {
      this.tally.discardedBytes += taken
      this.sink.oversize(taken)
      return
    }
    let bytes = taken
    if (bytes.length === 0) return
    // The CR of a CRLF line end is framing, not content; checked on the byte so a CR split from its LF by chunking is still stripped.
    if (bytes[bytes.length - 1] === CarriageReturn) {
      bytes = bytes.subarray(0, bytes.length - 1)
      this.tally.framingBytes++
    }
    if (bytes.length === 0) return
    this.tally.recordBytes += bytes.length
    this.sink.record(bytes.toString("utf8"))
  }
}
