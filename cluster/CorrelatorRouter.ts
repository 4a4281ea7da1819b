// The router stage of a partitioned correlator (DESIGN "The data path", 3): a durable consumer
// shared by every node evaluates the correlator's selectors on each event and publishes it to
// the partitions of the (rule, group) pairs it matches, with the router's stream time; clock
// marks carry that time to quiet partitions so their windows end as the stream's do.
import { type Duration, Effect, Schedule } from "effect"
import { randomUUID } from "node:crypto"
import { CorrelatorEngine } from "../actors/CorrelatorEngine.ts"
import type { CorrelatorSpec } from "../model/Rule.ts"
import { EventBus } from "./EventBus.ts"
import { Topics, type PartitionMatch } from "./Topics.ts"

export interface RouterOptions {
  /** The correlator's partition count. */
  readonly partitions: number
  /** Time between clock marks to every partition; none when stream time did not move. */
  readonly markInterval: Duration.DurationInput
}

/** Starts the router of `spec` in the current scope. */
export const start = (spec: CorrelatorSpec, options: RouterOptions) =>
  Effect.gen(function* () {
    const bus = yield* EventBus
    const topics = yield* Topics
    // Selectors only: a router keeps no correlation state, so any node's router will do.
    const selectors = new CorrelatorEngine(spec)
    const out = new Int32Array(Math.max(1, spec.rules.length))
    const instance = randomUUID()
    let streamTime: number | null = null
    let markedTime: number | null = null
    let marks = 0
    const stats = yield* bus.consume(
      topics.events,
      { durable: topics.durables.router(spec.id), filterSubjects: spec.sources.map(topics.sourceSubject), maxBatch: 500 },
      (batch) => {
        const matches: Array<PartitionMatch> = []
        let time = streamTime
        for (const { event } of batch) {
          const found = selectors.route(event, options.partitions, out)
          for (let i = 0; i < found; i++) matches.push({ correlatorId: spec.id, partition: out[i]!, streamTime: time, event })
          time = time === null ? event.Timestamp : Math.max(time, event.Timestamp)
        }
        // Stream time moves only once the batch is on the bus: a clock mark must never overtake
        // the events it would make late.
        return bus.publish(topics.matches, matches).pipe(Effect.tap(() => Effect.sync(() => (streamTime = time))))
      }
    )
    const mark = Effect.suspend(() => {
      if (streamTime === null || streamTime === markedTime) return Effect.void
      const time = streamTime
      const records = Array.from({ length: options.partitions }, (_, partition): PartitionMatch => ({ correlatorId: spec.id, partition, streamTime: time, markId: `${instance}-${marks}` }))
      marks++
      return bus.publish(topics.matches, records).pipe(
        Effect.tap(() => Effect.sync(() => (markedTime = time))),
        Effect.catchAll((error) => Effect.logWarning(`router ${spec.id}: clock mark not published; the next one retries`, error))
      )
    })
    yield* mark.pipe(Effect.repeat(Schedule.spaced(options.markInterval)), Effect.forkScoped)
    return stats
  })
