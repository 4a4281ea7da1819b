// Test support: a connector sink that keeps everything it is given, and waits for it.
import { Effect } from "effect"
import type { ConnectorSink } from "../ConnectorSink.ts"

export interface ReceivedRecord {
  readonly text: string
  readonly sourceAddress: string
}

export class RecordingSink implements ConnectorSink {
  readonly records: Array<ReceivedRecord> = []
  readonly oversizes: Array<number> = []
  readonly errors: Array<Error> = []
  readonly drops: Array<{ readonly records: number; readonly reason: string }> = []
  /** Called after each record, e.g. to pause the connector from inside the sink like the collector does. */
  onRecord: () => void = () => {}

  readonly record = (text: string, sourceAddress: string): void => {
    this.records.push({ text, sourceAddress })
    this.onRecord()
  }
  readonly oversize = (bytes: number): void => {
    this.oversizes.push(bytes)
  }
  readonly connectionError = (cause: Error): void => {
    this.errors.push(cause)
  }
  readonly dropped = (records: number, reason: string): void => {
    this.drops.push({ records, reason })
  }

  texts(): Array<string> {
    return this.records.map((record) => record.text)
  }

  errorMessages(): Array<string> {
    return this.errors.map((error) => error.message)
  }

  /** Polls until `holds` is true; dies with what was seen after `timeoutMs`. */
  waitFor(holds: (sink: RecordingSink) => boolean, timeoutMs = 5_000): Effect.Effect<void> {
    return Effect.gen(this, function* () {
      const deadline = Date.now() + timeoutMs
      while (!holds(this)) {
        if (Date.now() > deadline)
          return yield* Effect.die(
            new Error(`sink condition not met within ${timeoutMs} ms: ${this.records.length} records, oversize ${JSON.stringify(this.oversizes)}, errors ${JSON.stringify(this.errorMessages())}`)
          )
        yield* Effect.sleep("10 millis")
      }
    })
  }
}
