// What the agent reports about itself (SPEC §3: connected server, queue depth, events sent,
// errors): live counters kept by the shipper and sources, and the one-line JSON snapshot.
import type { AgentQueue } from "./AgentQueue.ts"

export type ConnectionState = "connecting" | "connected" | "disconnected" | "stopped"

export interface SourceStatus {
  readonly source: string
  readonly [detail: string]: string | number | boolean | null
}

export interface AgentStatusSnapshot {
  readonly time: string
  readonly state: ConnectionState
  /** The collector the agent is connected to (or trying), as `tcp://host:port`. */
  readonly server: string | null
  readonly queue: {
    readonly records: number
    readonly bytes: number
    /** Sent over TCP but not yet confirmed; re-sent after an abrupt failure. */
    readonly unconfirmed: number
    readonly maxRecords: number
    readonly maxBytes: number
    readonly whenFull: string
    /** Sources are paused (backpressure policy). */
    readonly full: boolean
  }
  readonly received: number
  /** Records written to a collector, each re-send counted again. */
  readonly sent: number
  /** Records written a second time after an abrupt failure (possible duplicates at the collectors). */
  readonly resent: number
  /** Records a collector confirmed (or, over UDP, that the OS took). */
  readonly confirmed: number
  /** Records dropped by the drop-oldest policy. */
  readonly dropped: number
  /** Records over 4 MB (or over a datagram, for UDP) that were skipped. */
  readonly oversize: number
  /** Connection failures, timeouts and resets. */
  readonly errors: number
  readonly failovers: number
  readonly lastError: { readonly at: string; readonly message: string } | null
  readonly sources: ReadonlyArray<SourceStatus>
}

export class AgentStatus {
  state: ConnectionState = "disconnected"
  server: string | null = null
  sent = 0
  resent = 0
  oversize = 0
  errors = 0
  failovers = 0
  lastError: { at: string; message: string } | null = null

  constructor(
    private readonly queue: AgentQueue,
    private readonly sources: () => ReadonlyArray<SourceStatus>,
    private readonly log: (line: string) => void
  ) {}

  /** Counts a connection failure and keeps its message for the status line. */
  error(message: string): void {
    this.errors++
    this.lastError = { at: new Date().toISOString(), message }
    this.log(message)
  }

  snapshot(): AgentStatusSnapshot {
    const queue = this.queue
    return {
      time: new Date().toISOString(),
      state: this.state,
      server: this.server,
      queue: {
        records: queue.records,
        bytes: queue.bytes,
        unconfirmed: queue.inFlightRecords,
        maxRecords: queue.settings.maxRecords,
        maxBytes: queue.settings.maxBytes,
        whenFull: queue.settings.whenFull,
        full: queue.isPaused
      },
      received: queue.received,
      sent: this.sent,
      resent: this.resent,
      confirmed: queue.confirmed,
      dropped: queue.dropped,
      oversize: this.oversize,
      errors: this.errors,
      failovers: this.failovers,
      lastError: this.lastError,
      sources: this.sources()
    }
  }
}
