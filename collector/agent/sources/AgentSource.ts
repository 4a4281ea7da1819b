// What the agent reads from: files, stdin, a local socket. Every source splits its input into
// records, offers them to the queue and stops reading when the queue applies backpressure.
import { Data } from "effect"
import type { FlowControl } from "../AgentQueue.ts"
import type { SourceStatus } from "../AgentStatus.ts"

export interface AgentSource extends FlowControl {
  /** Settles when the source has nothing more to read (stdin at its end); files and sockets never end. */
  readonly ended: Promise<void>
  /** Stops reading and releases what the source holds (file handles, listening sockets, positions saved). */
  readonly stop: () => Promise<void>
  readonly status: () => SourceStatus
}

/** What every source needs besides its own settings. */
export interface SourceContext {
  readonly delimiter: number
  readonly maxRecordBytes: number
  /** A record over the limit was skipped. */
  readonly oversize: (bytes: number) => void
  readonly log: (line: string) => void
}

/** A source cannot start (a socket cannot listen, a file cannot be read); carries the cause. */
export class AgentSourceError extends Data.TaggedError("AgentSourceError")<{ readonly message: string; readonly cause?: unknown }> {}
