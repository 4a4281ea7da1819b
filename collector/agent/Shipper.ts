// Ships the queue's batches to the collector addresses in failover order (FailoverCursor.ts).
//
// Delivery guarantee. The collector's delimited TCP protocol has no acknowledgements, so a
// written record is only *sent*; it stays in the queue, unconfirmed, until one of these confirms it:
// 1. a clean close (CollectorLink.ts): the agent's FIN answered by the collector's (used on
//    shutdown), or the collector's FIN while it still reads (a collector that stops by draining
//    its connections). Everything sent on the link was read: nothing is lost or sent twice.
// 2. age: the batch was written and the connection stayed healthy for `resendWindow`. Without
//    acknowledgements this is a judgement, not a proof; it keeps memory bounded on a long-lived
//    connection (unconfirmed records count against the queue's bound).
// When a link breaks (reset, error, a connect or write over the timeout, a collector that closed
// without reading everything), every unconfirmed batch goes back to the front of the queue, in
// order, and is sent to the next address: at-least-once, with possible duplicates limited to the
// records written within the resend window before the failure (counted as `resent`). Exactly-once
// across such failures would need record IDs honoured downstream, which the protocol does not carry.
// UDP confirms nothing: a record counts as delivered once the OS took the datagram.
import { type CollectorAddress, formatCollectorAddress } from "./AgentConfig.ts"
import type { AgentQueue, Batch } from "./AgentQueue.ts"
import type { AgentStatus } from "./AgentStatus.ts"
import { type CollectorLink, LinkClosing, type LinkOutcome } from "./CollectorLink.ts"
import { FailoverCursor, type RetryDelays } from "./FailoverCursor.ts"

export interface ShipperOptions {
  readonly addresses: ReadonlyArray<CollectorAddress>
  readonly timeoutMillis: number
  readonly resendWindowMillis: number
  readonly open: (address: CollectorAddress) => Promise<CollectorLink>
  readonly retryDelays?: RetryDelays
  readonly log: (line: string) => void
  readonly now?: () => number
}

interface SentBatch {
  readonly batch: Batch
  /** When the write completed: the resend window starts then. */
  writtenAt: number
}

type SessionEnd = "moved" | "stopped"

export class Shipper {
  private readonly cursor: FailoverCursor
  private readonly now: () => number
  private stopping = false
  private stopDeadline = Number.POSITIVE_INFINITY
  private wakeUp: (() => void) | undefined
  private running: Promise<void> | undefined

  constructor(
    private readonly queue: AgentQueue,
    private readonly status: AgentStatus,
    private readonly options: ShipperOptions
  ) {
    this.cursor = new FailoverCursor(options.addresses.length, options.retryDelays)
    this.now = options.now ?? Date.now
  }

  /** Starts connecting and shipping; `done` settles once stopped. */
  start(): void {
    this.running ??= this.run()
  }

  get done(): Promise<void> {
    return this.running ?? Promise.resolve()
  }

  /**
   * Sends what the queue holds without waiting for batches to fill, closes the link cleanly and
   * stops. Gives up after `graceMillis` (never when undefined); a second call may shorten it.
   */
  stop(graceMillis?: number): Promise<void> {
    this.stopping = true
    if (graceMillis !== undefined) this.stopDeadline = Math.min(this.stopDeadline, this.now() + graceMillis)
    this.queue.flush()
    this.wake()
    return this.done
  }

  private wake(): void {
    const wakeUp = this.wakeUp
    this.wakeUp = undefined
    if (wakeUp !== undefined) wakeUp()
  }

  /** Sleeps until `deadline` or until something wakes the shipper (a link event, stop, and a ready batch when `forRecords`). */
  private sleepUntil(deadline: number, forRecords = true): Promise<void> {
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const done = () => {
        clearTimeout(timer)
        this.queue.onReady = undefined
        this.wakeUp = undefined
        resolve()
      }
      this.wakeUp = done
      if (forRecords) this.queue.onReady = done
      if (Number.isFinite(deadline)) timer = setTimeout(done, Math.max(0, deadline - this.now()))
    })
  }

  /** Stopping, and nothing waits to be sent (what is unconfirmed gets the clean close) or the grace time is over. */
  private get givingUp(): boolean {
    return this.stopping && (this.queue.pendingRecords === 0 || this.now() >= this.stopDeadline)
  }

  private async run(): Promise<void> {
    const addresses = this.options.addresses
    while (!this.givingUp) {
      const address = addresses[this.cursor.current]!
      const where = formatCollectorAddress(address)
      this.status.state = "connecting"
      this.status.server = where
      let link: CollectorLink
      try {
        link = await this.options.open(address)
      } catch (cause) {
        this.status.error(cause instanceof Error ? cause.message : String(cause))
        await this.moveOn(where, "it cannot be reached")
        continue
      }
      this.cursor.connected()
      this.status.state = "connected"
      this.options.log(`connected to ${where}`)
      const end = await this.session(link)
      if (end === "stopped") break
      await this.moveOn(where, "it went away")
    }
    this.status.state = "stopped"
  }

  /** Fails over to the next address, pausing after a round in which every address failed. */
  private async moveOn(from: string, why: string): Promise<void> {
    const delay = this.cursor.failed()
    this.status.state = "disconnected"
    if (this.options.addresses.length > 1) {
      this.status.failovers++
      this.options.log(`failover: ${from} -> ${formatCollectorAddress(this.options.addresses[this.cursor.current]!)} (${why})`)
    }
    if (delay > 0 && !this.givingUp) await this.sleepUntil(Math.min(this.now() + delay, this.stopDeadline), false)
  }

  /** Ships over one link until it ends or the agent stops. */
  private async session(link: CollectorLink): Promise<SessionEnd> {
    const unconfirmed: Array<SentBatch> = []
    let ended: LinkOutcome | undefined
    void link.outcome.then((outcome) => {
      ended = outcome
      this.wake()
    })
    for (;;) {
      if (ended !== undefined || link.closing) {
        this.settleLink(link, await link.outcome, unconfirmed)
        return "moved"
      }
      const now = this.now()
      this.confirmAged(unconfirmed, now)
      if (this.givingUp) {
        const clean = await link.close(this.options.timeoutMillis)
        this.settleLink(link, clean ? { kind: "drained" } : await link.outcome, unconfirmed)
        return "stopped"
      }
      const readyAt = this.queue.readyAt()
      if (readyAt !== undefined && readyAt <= now) {
        await this.send(link, this.queue.take()!, unconfirmed)
        continue
      }
      const confirmAt = unconfirmed.length > 0 ? unconfirmed[0]!.writtenAt + this.options.resendWindowMillis : Number.POSITIVE_INFINITY
      await this.sleepUntil(Math.min(readyAt ?? Number.POSITIVE_INFINITY, confirmAt, this.stopDeadline))
    }
  }

  /** Writes one batch; it stays unconfirmed until the link's outcome or its age confirms it. */
  private async send(link: CollectorLink, batch: Batch, unconfirmed: Array<SentBatch>): Promise<void> {
    const sent: SentBatch = { batch, writtenAt: this.now() }
    unconfirmed.push(sent)
    let resent = 0
    for (const record of batch.records) if (record.attempts++ > 0) resent++
    try {
      const skipped = await link.send(batch.records)
      this.status.sent += batch.records.length - skipped
      this.status.resent += resent
      this.status.oversize += skipped
      sent.writtenAt = this.now()
      if (link.confirmsOnWrite) {
        unconfirmed.splice(unconfirmed.indexOf(sent), 1)
        this.queue.confirm(batch)
      }
    } catch (cause) {
      if (cause instanceof LinkClosing) {
        // Nothing was written: the batch goes back to the front of the queue.
        unconfirmed.splice(unconfirmed.indexOf(sent), 1)
        for (const record of batch.records) record.attempts--
        this.queue.requeue([batch])
        return
      }
      // Part of the batch may have been written: it stays unconfirmed and is re-sent with the rest.
      link.destroy(cause instanceof Error ? cause.message : String(cause))
    }
  }

  private confirmAged(unconfirmed: Array<SentBatch>, now: number): void {
    while (unconfirmed.length > 0 && unconfirmed[0]!.writtenAt + this.options.resendWindowMillis <= now) {
      this.queue.confirm(unconfirmed.shift()!.batch)
    }
  }

  private settleLink(link: CollectorLink, outcome: LinkOutcome, unconfirmed: Array<SentBatch>): void {
    const batches = unconfirmed.splice(0).map((sent) => sent.batch)
    const where = formatCollectorAddress(link.address)
    if (outcome.kind === "drained") {
      for (const batch of batches) this.queue.confirm(batch)
      if (!this.stopping) this.options.log(`${where} closed the connection after reading everything sent`)
      return
    }
    const records = batches.reduce((sum, batch) => sum + batch.records.length, 0)
    this.status.error(`${where}: ${outcome.reason}${records > 0 ? `; ${records} unconfirmed records will be sent again` : ""}`)
    this.queue.requeue(batches)
  }
}
