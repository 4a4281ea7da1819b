// The storage consumers: base events and correlation events go to the event store, and the bus
// is acknowledged only after the store confirmed the write.
import { Deferred, Effect, Schedule } from "effect"
import type { NormalizedEvent } from "../model/Event.ts"
import { EventStore, EventStoreError } from "../storage/EventStore.ts"
import { EventBus, type Sequenced } from "./EventBus.ts"
import { FenceBook } from "./FenceBook.ts"
import { Topics, type CorrelationRecord } from "./Topics.ts"

const MaxBatch = 1_000

/** How the writer's store writes went, over both consumers. */
export interface WriteStats {
  /** Write attempts that failed transiently; each is tried again after a backoff unless the writer stops. */
  transientFailures: number
  /** Batches written only after one or more transient failures. */
  recoveredBatches: number
  /** Failures a retry cannot fix; the batch goes back to the bus for redelivery. */
  permanentFailures: number
}

/**
 * Backoff between attempts of a transiently failing write: exponential from 100 ms, capped at
 * 5 s, jittered (±20%) so nodes that lost the database together do not return in lockstep.
 * It never gives up: events wait on the bus until the store takes them.
 */
export const retrySchedule = Schedule.exponential("100 millis").pipe(Schedule.either(Schedule.spaced("5 seconds")), Schedule.jittered)

const isTransient = (error: EventStoreError): boolean => error.transient === true

/** Starts both durable storage consumers in the current scope; returns their counters and the write counters. */
export const start = Effect.gen(function* () {
  const bus = yield* EventBus
  const store = yield* EventStore
  const topics = yield* Topics
  const writes: WriteStats = { transientFailures: 0, recoveredBatches: 0, permanentFailures: 0 }
  const stopping = yield* Deferred.make<void>()

  // Retrying forever is only safe because writes are idempotent by event ID: an attempt that
  // failed after the database applied it is rewritten as a no-op.
  const writeDurably = (events: ReadonlyArray<NormalizedEvent>) =>
    Effect.suspend(() => {
      let failures = 0
      const startedAt = Date.now()
      return store.write(events).pipe(
        Effect.tapError((error) =>
          Effect.suspend(() => {
            if (!isTransient(error)) {
              writes.permanentFailures++
              return Effect.void
            }
            writes.transientFailures++
            failures++
            // One warning per failure streak; the recovery is logged when it ends.
            return failures === 1
              ? Effect.logWarning(`event store write of ${events.length} events failed transiently; retrying with backoff until it succeeds`, error.cause ?? error.message)
              : Effect.void
          })
        ),
        Effect.retry({ schedule: retrySchedule, while: isTransient }),
        Effect.tap(() =>
          Effect.suspend(() => {
            if (failures === 0) return Effect.void
            writes.recoveredBatches++
            return Effect.logInfo(`event store write of ${events.length} events succeeded after ${failures} transient failures, ${Date.now() - startedAt} ms after the first attempt`)
          })
        ),
        // The bus waits for the batch in hand when its scope closes, and this batch may be
        // waiting for a database that is gone: stop it, unacknowledged, so shutdown completes
        // and the batch is redelivered later.
        Effect.raceFirst(
          Effect.flatMap(Deferred.await(stopping), () =>
            Effect.fail(new EventStoreError({ message: "storage writer stopped before the write was confirmed; the batch will be redelivered", transient: true }))
          )
        )
      )
    })

  const events = yield* bus.consume(topics.events, { durable: topics.durables.storage, filterSubjects: [], maxBatch: MaxBatch }, (batch) =>
    writeDurably(batch.map(({ record }) => record.event))
  )
  const fences = new FenceBook()
  const admitted = (batch: ReadonlyArray<Sequenced<CorrelationRecord>>) =>
    batch.filter(({ sequence, record }) => fences.admit(record.correlatorId, record.fence, sequence)).map(({ record }) => record)
  const correlations = yield* bus.consume(
    topics.correlations,
    { durable: topics.durables.correlationStorage, filterSubjects: [], maxBatch: MaxBatch },
    // Stale partition owners' records are not stored (the same fence the alert service applies).
    (batch) => writeDurably(admitted(batch).map((record) => record.event))
  )
  // Added after the consumers, so it runs before their finalizers (which wait for the batch in hand).
  yield* Effect.addFinalizer(() => Deferred.succeed(stopping, undefined))
  return { events, correlations, writes, fences }
})
