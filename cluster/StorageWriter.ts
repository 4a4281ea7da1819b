// The storage consumers: base events and correlation events go to the event store, and the bus
// is acknowledged only after the store confirmed the write.
import { Effect } from "effect"
import { EventStore } from "../storage/EventStore.ts"
import { EventBus } from "./EventBus.ts"
import { Topics } from "./Topics.ts"

const MaxBatch = 1_000

/** Starts both durable storage consumers in the current scope. */
export const start = Effect.gen(function* () {
  const bus = yield* EventBus
  const store = yield* EventStore
  const topics = yield* Topics
  const events = yield* bus.consume(topics.events, { durable: topics.durables.storage, filterSubjects: [], maxBatch: MaxBatch }, (batch) =>
    store.write(batch.map((record) => record.event))
  )
  const correlations = yield* bus.consume(
    topics.correlations,
    { durable: topics.durables.correlationStorage, filterSubjects: [], maxBatch: MaxBatch },
    (batch) => store.write(batch.map((record) => record.event))
  )
  return { events, correlations }
})
