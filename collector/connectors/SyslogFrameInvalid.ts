// A syslog octet-counting frame whose length prefix cannot be trusted: counted like a bad record,
// and the framer skips to the next LF to find the next message.
import { Data } from "effect"

export class SyslogFrameInvalid extends Data.TaggedError("SyslogFrameInvalid")<{
  readonly message: string
  /** The start of the bad prefix, for the operator's sample. */
  readonly prefix: string
  /** Bytes dropped while resynchronizing, the bad prefix included. */
  readonly skippedBytes: number
}> {}
