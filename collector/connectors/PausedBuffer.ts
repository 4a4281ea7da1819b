// Holds the records that arrive while the collector is paused, for sources that cannot make the
// sender wait (UDP datagrams, core NATS messages). Bounded: past the limit a record is dropped
// and counted, and the drops are reported once when the pause is over.
import type { ConnectorSink } from "./ConnectorSink.ts"
import { RecordsDropped } from "./RecordsDropped.ts"

export class PausedBuffer {
  private texts: Array<string> = []
  private addresses: Array<string> = []
  private sizes: Array<number> = []
  private heldBytes = 0
  private droppedRecords = 0
  private paused = false

  constructor(private readonly maxBytes: number, private readonly sink: ConnectorSink, private readonly source: string) {}

  /** Bytes of records waiting for the pause to end; never more than the limit. */
  get bufferedBytes(): number {
    return this.heldBytes
  }

  /** Hands a record on, or keeps it while paused, or drops it when the buffer is full. */
  offer(text: string, address: string, bytes: number): void {
    if (!this.paused) {
      this.sink.record(text, address)
      return
    }
    if (this.heldBytes + bytes > this.maxBytes) {
      this.droppedRecords++
      return
    }
    this.texts.push(text)
    this.addresses.push(address)
    this.sizes.push(bytes)
    this.heldBytes += bytes
  }

  pause(): void {
    this.paused = true
  }

  /** Hands on what was kept, in arrival order, unless the sink pauses again while taking it. */
  resume(): void {
    this.paused = false
    let handed = 0
    while (handed < this.texts.length && !this.paused) {
      this.sink.record(this.texts[handed]!, this.addresses[handed]!)
      handed++
    }
    if (handed === this.texts.length) {
      this.texts = []
      this.addresses = []
      this.sizes = []
      this.heldBytes = 0
    } else {
      // The sink paused again: what is left stays first in line.
      for (const size of this.sizes.slice(0, handed)) this.heldBytes -= size
      this.texts = this.texts.slice(handed)
      this.addresses = this.addresses.slice(handed)
      this.sizes = this.sizes.slice(handed)
      return
    }
    if (this.droppedRecords > 0) {
      const records = this.droppedRecords
      this.droppedRecords = 0
      const reason = `${this.source} connector paused: ${records} records dropped because the ${this.maxBytes}-byte pause buffer was full`
      if (this.sink.dropped !== undefined) this.sink.dropped(records, reason)
      else this.sink.connectionError(new RecordsDropped({ message: reason, records }))
    }
  }
}
