// The agent's bounded queue: a record stays here from the moment a source reads it until a
// collector confirmed it (see Shipper.ts for what confirms a record). Sent-but-unconfirmed records
// count against the bound too, so memory stays bounded whatever the collectors do.
//
// When full, the policy is the operator's choice (`queue.whenFull`):
// - "backpressure" (default): every source stops reading until the queue is below 3/4 of its
//   limits. Nothing is lost: a file keeps its position, a socket's writer and stdin's producer
//   block in the kernel's flow control. The queue may pass its limit by what one read already
//   holds (at most one 64 KiB chunk per source); records already read are never thrown away.
// - "drop-oldest": sources keep reading; the oldest records not yet sent are dropped and counted
//   (`dropped`), for producers that must never block.
// Batching: a batch is ready when `batch.records` or `batch.bytes` are waiting, when the oldest
// waiting record has waited the maximum transmission delay, when the queue is full, or when the
// agent is flushing (shutdown, end of input).

/** What a record came from, told when the record is done (confirmed or dropped), in read order. */
export interface RecordOrigin {
  readonly settle: (endOffset: number) => void
}

export interface QueuedRecord {
  readonly bytes: Buffer
  readonly origin: RecordOrigin | undefined
  readonly endOffset: number
  readonly enqueuedAt: number
  /** How many times the record was written to a collector (more than once after an abrupt failure). */
  attempts: number
}

export interface Batch {
  readonly records: ReadonlyArray<QueuedRecord>
  readonly bytes: number
}

export type WhenFull = "backpressure" | "drop-oldest"

export interface QueueSettings {
  readonly maxRecords: number
  readonly maxBytes: number
  readonly whenFull: WhenFull
  readonly batchRecords: number
  readonly batchBytes: number
  readonly maxDelayMillis: number
}

/** A source the queue can stop and restart (backpressure). */
export interface FlowControl {
  readonly pause: () => void
  readonly resume: () => void
}

/** Below this share of both limits a paused queue lets its sources read again. */
const ResumeShare = 0.75

export class AgentQueue {
  private pending: Array<QueuedRecord | undefined> = []
  private head = 0
  private pendingBytesTotal = 0
  private inFlightRecordsTotal = 0
  private inFlightBytesTotal = 0
  private paused = false
  private inputHeld = false
  private readonly flowControls = new Set<FlowControl>()
  /** Called when a batch may have become ready; the shipper sets it while it waits. */
  onReady: (() => void) | undefined = undefined
  flushing = false
  received = 0
  confirmed = 0
  dropped = 0

  constructor(
    readonly settings: QueueSettings,
    private readonly now: () => number = Date.now
  ) {}

  get pendingRecords(): number {
    return this.pending.length - this.head
  }
  get pendingBytes(): number {
    return this.pendingBytesTotal
  }
  get inFlightRecords(): number {
    return this.inFlightRecordsTotal
  }
  /** Records held in memory: waiting and sent-but-unconfirmed. */
  get records(): number {
    return this.pendingRecords + this.inFlightRecordsTotal
  }
  get bytes(): number {
    return this.pendingBytesTotal + this.inFlightBytesTotal
  }
  get isEmpty(): boolean {
    return this.records === 0
  }
  /** Whether the sources are held back (backpressure policy only). */
  get isPaused(): boolean {
    return this.paused
  }

  /** Registers a source for backpressure; it is paused at once if the queue is full. */
  addFlowControl(source: FlowControl): () => void {
    this.flowControls.add(source)
    if (this.paused || this.inputHeld) source.pause()
    return () => this.flowControls.delete(source)
  }

  /** Shutting down: every source stops reading for good, so what is queued can be delivered and positions saved. */
  holdSources(): void {
    this.inputHeld = true
    for (const source of this.flowControls) source.pause()
  }

  /** Takes a record a source read. Never refuses: a full queue pauses its sources or drops the oldest. */
  offer(bytes: Buffer, origin: RecordOrigin | undefined, endOffset: number): void {
    this.received++
    this.pending.push({ bytes, origin, endOffset, enqueuedAt: this.now(), attempts: 0 })
    this.pendingBytesTotal += bytes.length
    const limits = this.settings
    if (this.records >= limits.maxRecords || this.bytes >= limits.maxBytes) {
      if (limits.whenFull === "drop-oldest") {
        while ((this.records > limits.maxRecords || this.bytes > limits.maxBytes) && this.pendingRecords > 0) this.dropOldest()
      } else if (!this.paused) {
        this.paused = true
        for (const source of this.flowControls) source.pause()
      }
      this.notify()
      return
    }
    const waiting = this.pendingRecords
    if (waiting === 1 || waiting >= limits.batchRecords || this.pendingBytesTotal >= limits.batchBytes) this.notify()
  }

  /** When the next batch is due: undefined when nothing waits, `<= now` when it is due already. */
  readyAt(): number | undefined {
    const oldest = this.pending[this.head]
    if (oldest === undefined) return undefined
    if (this.flushing || this.paused || this.pendingRecords >= this.settings.batchRecords || this.pendingBytesTotal >= this.settings.batchBytes) return 0
    if (this.settings.whenFull === "drop-oldest" && (this.records >= this.settings.maxRecords || this.bytes >= this.settings.maxBytes)) return 0
    return oldest.enqueuedAt + this.settings.maxDelayMillis
  }

  /** Takes the next batch (at least one record, even one larger than the byte limit); it stays counted until confirmed or requeued. */
  take(): Batch | undefined {
    if (this.pendingRecords === 0) return undefined
    const records: Array<QueuedRecord> = []
    let bytes = 0
    while (this.head < this.pending.length && records.length < this.settings.batchRecords) {
      const record = this.pending[this.head]!
      if (records.length > 0 && bytes + record.bytes.length > this.settings.batchBytes) break
      this.pending[this.head++] = undefined
      records.push(record)
      bytes += record.bytes.length
    }
    this.pendingBytesTotal -= bytes
    this.inFlightRecordsTotal += records.length
    this.inFlightBytesTotal += bytes
    this.compact()
    return { records, bytes }
  }

  /** A collector has the batch: its records leave the queue and their sources learn how far delivery reached. */
  confirm(batch: Batch): void {
    this.inFlightRecordsTotal -= batch.records.length
    this.inFlightBytesTotal -= batch.bytes
    this.confirmed += batch.records.length
    for (const record of batch.records) record.origin?.settle(record.endOffset)
    this.maybeResume()
  }

  /** The batches' delivery is uncertain: they go back to the front, oldest first, to be sent again. */
  requeue(batches: ReadonlyArray<Batch>): void {
    if (batches.length === 0) return
    const records = batches.flatMap((batch) => batch.records)
    let bytes = 0
    for (const batch of batches) bytes += batch.bytes
    this.inFlightRecordsTotal -= records.length
    this.inFlightBytesTotal -= bytes
    this.pendingBytesTotal += bytes
    this.pending = [...records, ...this.pending.slice(this.head)]
    this.head = 0
    this.notify()
  }

  /** Sends what waits now and from now on without waiting for batches to fill. */
  flush(): void {
    this.flushing = true
    this.notify()
  }

  private dropOldest(): void {
    const record = this.pending[this.head]!
    this.pending[this.head++] = undefined
    this.pendingBytesTotal -= record.bytes.length
    this.dropped++
    // A dropped record is done with: a file source may move its remembered position past it.
    record.origin?.settle(record.endOffset)
    this.compact()
  }

  private maybeResume(): void {
    if (!this.paused || this.inputHeld) return
    if (this.records > this.settings.maxRecords * ResumeShare || this.bytes > this.settings.maxBytes * ResumeShare) return
    this.paused = false
    for (const source of this.flowControls) source.resume()
  }

  private compact(): void {
    if (this.head === this.pending.length) {
      this.pending = []
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.head)
      this.head = 0
    }
  }

  private notify(): void {
    const ready = this.onReady
    if (ready !== undefined) ready()
  }
}
