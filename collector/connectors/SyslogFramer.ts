// Frames syslog over a byte stream (TCP, TLS), detecting per message which of the two framings of
// RFC 6587 the sender uses: octet counting (`LEN SP MSG`, RFC 5425) when the message starts with a
// digit, non-transparent (MSG terminated by LF) otherwise. A syslog MSG starts with "<PRI>", never
// a digit, so the first byte decides, as rsyslog and syslog-ng do. Memory is bounded by the record
// limit in both framings.
import { RecordFramer, type FramerSink, type FramerTally } from "./RecordFramer.ts"
import { SyslogFrameInvalid } from "./SyslogFrameInvalid.ts"

export interface SyslogFramerSink extends FramerSink {
  /** An octet-counting frame had a length prefix that cannot be trusted (counted by the collector). */
  readonly invalidFrame: (error: SyslogFrameInvalid) => void
}

const LineFeed = 0x0a
const CarriageReturn = 0x0d
const Space = 0x20
const Zero = 0x30
const Nine = 0x39
/** 8 digits allow lengths up to 99,999,999: beyond any record limit, so oversize frames are still skipped exactly. */
const MaxLengthDigits = 8

const AtMessageStart = 0
const InLengthPrefix = 1
const InFrame = 2
const InOversizeFrame = 3
const SkippingToLineFeed = 4
const InLine = 5
type State = typeof AtMessageStart | typeof InLengthPrefix | typeof InFrame | typeof InOversizeFrame | typeof SkippingToLineFeed | typeof InLine

const printable = (byte: number): string => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, "0")}`)

export class SyslogFramer {
  private state: State = AtMessageStart
  private frameLength = 0
  private lengthDigits = 0
  private prefix = ""
  private remaining = 0
  private pending: Array<Buffer> = []
  private pendingBytes = 0
  private skippedBytes = 0
  private skipReason = ""
  /** Non-transparent messages are plain LF-delimited records; it is fed one message at a time. */
  private readonly lineFramer: RecordFramer
  private readonly ownTally: FramerTally = { recordBytes: 0, discardedBytes: 0, framingBytes: 0 }

  constructor(private readonly maxRecordBytes: number, private readonly sink: SyslogFramerSink) {
    this.lineFramer = new RecordFramer(LineFeed, maxRecordBytes, sink)
  }

  /** Where every byte went (see FramerTally). */
  get tally(): FramerTally {
    const line = this.lineFramer.tally
    return {
      recordBytes: this.ownTally.recordBytes + line.recordBytes,
      discardedBytes: this.ownTally.discardedBytes + line.discardedBytes,
      framingBytes: this.ownTally.framingBytes + line.framingBytes
    }
  }

  /** Bytes held for the message in progress; never more than the record limit. */
  get heldBytes(): number {
    return this.pendingBytes + this.lineFramer.heldBytes
  }

  /** Feeds a chunk as it arrived from the socket. */
  push(chunk: Buffer): void {
    let position = 0
    while (position < chunk.length) {
      switch (this.state) {
        case AtMessageStart: {
          const byte = chunk[position]!
          if (byte >= Zero && byte <= Nine) {
            this.state = InLengthPrefix
            this.frameLength = 0
            this.lengthDigits = 0
            this.prefix = ""
          } else this.state = InLine
          break
        }
        case InLengthPrefix: {
          const byte = chunk[position++]!
          if (byte === Space && this.lengthDigits > 0) {
            this.ownTally.framingBytes += this.lengthDigits + 1
            this.remaining = this.frameLength
            this.state = this.frameLength > this.maxRecordBytes ? InOversizeFrame : InFrame
            break
          }
          const isDigit = byte >= Zero && byte <= Nine
          this.prefix += printable(byte)
          if (isDigit && !(byte === Zero && this.lengthDigits === 0) && this.lengthDigits < MaxLengthDigits) {
            this.lengthDigits++
            this.frameLength = this.frameLength * 10 + (byte - Zero)
            break
          }
          const reason = !isDigit ? "is not followed by a space" : this.lengthDigits === 0 ? "starts with 0" : `is longer than ${MaxLengthDigits} digits`
          this.skipFromPrefix(`the length prefix "${this.prefix}" ${reason}`, byte === LineFeed)
          break
        }
        case InFrame: {
          const take = Math.min(this.remaining, chunk.length - position)
          this.pending.push(chunk.subarray(position, position + take))
          this.pendingBytes += take
          this.remaining -= take
          position += take
          if (this.remaining === 0) this.emitFrame()
          break
        }
        case InOversizeFrame: {
          const take = Math.min(this.remaining, chunk.length - position)
          this.ownTally.discardedBytes += take
          this.remaining -= take
          position += take
          if (this.remaining === 0) {
            // The length itself is trustworthy, so skipping exactly that many bytes keeps us in step.
            this.state = AtMessageStart
            this.sink.oversize(this.frameLength)
          }
          break
        }
        case SkippingToLineFeed: {
          const lineFeed = chunk.indexOf(LineFeed, position)
          if (lineFeed === -1) {
            this.skippedBytes += chunk.length - position
            position = chunk.length
          } else {
            this.skippedBytes += lineFeed - position
            this.ownTally.framingBytes++
            position = lineFeed + 1
            this.reportSkip()
          }
          break
        }
        case InLine: {
          const lineFeed = chunk.indexOf(LineFeed, position)
          if (lineFeed === -1) {
            this.lineFramer.push(chunk.subarray(position))
            position = chunk.length
          } else {
            this.lineFramer.push(chunk.subarray(position, lineFeed + 1))
            position = lineFeed + 1
            this.state = AtMessageStart
          }
          break
        }
      }
    }
  }

  /** The peer closed: a message cut short is counted, a last LF-less line is a record. */
  end(): void {
    switch (this.state) {
      case InLengthPrefix:
        this.skippedBytes = this.lengthDigits
        this.skipReason = `the stream ended inside the length prefix "${this.prefix}"`
        this.reportSkip()
        break
      case InFrame:
        this.skippedBytes = this.pendingBytes
        this.skipReason = `the stream ended ${this.remaining} bytes short of a ${this.frameLength}-byte frame`
        this.pending = []
        this.pendingBytes = 0
        this.reportSkip()
        break
      case InOversizeFrame:
        this.sink.oversize(this.frameLength)
        break
      case SkippingToLineFeed:
        this.reportSkip()
        break
      case InLine:
        this.lineFramer.end()
        break
    }
    this.state = AtMessageStart
  }

  /**
   * A bad length prefix means the sender's framing is lost: we cannot know where this frame ends.
   * We resynchronize at the next LF, which ends every non-transparent message and, with the
   * senders we know, also each octet-counted one; detection starts afresh on the byte after it.
   * What lies between is dropped and counted once, with the bad prefix as the sample.
   */
  private skipFromPrefix(reason: string, endedByLineFeed: boolean): void {
    this.skipReason = reason
    if (endedByLineFeed) {
      this.skippedBytes = this.lengthDigits
      this.ownTally.framingBytes++
      this.reportSkip()
    } else {
      this.skippedBytes = this.lengthDigits + 1
      this.state = SkippingToLineFeed
    }
  }

  private reportSkip(): void {
    const skippedBytes = this.skippedBytes
    this.ownTally.discardedBytes += skippedBytes
    this.skippedBytes = 0
    this.state = AtMessageStart
    this.sink.invalidFrame(
      new SyslogFrameInvalid({
        message: `invalid syslog octet-counting frame: ${this.skipReason}; ${skippedBytes} bytes skipped to the next LF`,
        prefix: this.prefix,
        skippedBytes
      })
    )
  }

  private emitFrame(): void {
    let bytes = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes)
    this.pending = []
    this.pendingBytes = 0
    this.state = AtMessageStart
    // Some senders count a trailing LF (or CRLF) into the frame; it is framing, not message.
    if (bytes[bytes.length - 1] === LineFeed) {
      bytes = bytes.subarray(0, bytes.length - 1)
      this.ownTally.framingBytes++
      if (bytes[bytes.length - 1] === CarriageReturn) {
        bytes = bytes.subarray(0, bytes.length - 1)
        this.ownTally.framingBytes++
      }
    }
    if (bytes.length === 0) return
    this.ownTally.recordBytes += bytes.length
    this.sink.record(bytes.toString("utf8"))
  }
}
