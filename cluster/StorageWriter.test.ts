// The storage writer over the embedded bus and a scripted in-memory store: transient store
// failures are retried with backoff inside the handler, anything else goes back to the bus.
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Exit, Fiber, Layer, Schedule, Scope } from "effect"
import type { NormalizedEvent } from "../model/Event.ts"
import { TenantId, type CollectorId } from "../model/Ids.ts"
import { EventStore, EventStoreError } from "../storage/EventStore.ts"
import { eventually } from "../test/support/eventually.ts"
import { EventBus, type ConsumerStats } from "./EventBus.ts"
import { layerEmbedded } from "./bus/EmbeddedEventBus.ts"
import * as StorageWriter from "./StorageWriter.ts"
import * as Topics from "./Topics.ts"

const tenant = TenantId.make("tenant-a")
const collectorId = "collector-a" as CollectorId

const batchOf = (count: number): Array<NormalizedEvent> =>
  Array.from({ length: count }, (_, i) => ({ ID: crypto.randomUUID(), Timestamp: 1_700_000_000_000 + i, TenantID: tenant, Type: 1 }))

/** An event store whose first writes fail as scripted, then keeps every write it took. */
const scriptedStore = (failures: ReadonlyArray<EventStoreError>) => {
  const writesById = new Map<string, number>()
  const state = { calls: 0 }
  const layer = Layer.succeed(EventStore, {
    write: (events) =>
      Effect.suspend((): Effect.Effect<void, EventStoreError> => {
        const failure = failures[state.calls++]
        if (failure !== undefined) return Effect.fail(failure)
        for (const event of events) writesById.set(event.ID, (writesById.get(event.ID) ?? 0) + 1)
        return Effect.void
      }),
    scan: () => Effect.dieMessage("the storage writer only writes"),
    search: () => Effect.dieMessage("the storage writer only writes"),
    expire: () => Effect.dieMessage("the storage writer only writes")
  })
  return { layer, writesById, state }
}

const transientFailure = () => new EventStoreError({ message: "no host available", transient: true })

const publishAndStore = (events: ReadonlyArray<NormalizedEvent>) =>
  Effect.gen(function* () {
    const bus = yield* EventBus
    const topics = yield* Topics.Topics
    yield* bus.publish(topics.events, events.map((event) => ({ collectorId, event })))
    return yield* StorageWriter.start
  })

describe("StorageWriter", () => {
  it.live("retries transient store failures inside the handler: the batch is written once and acknowledged without redelivery", () => {
    const store = scriptedStore([transientFailure(), transientFailure(), transientFailure()])
    const events = batchOf(50)
    return Effect.gen(function* () {
      const writer = yield* publishAndStore(events)
      yield* eventually(Effect.sync(() => writer.events.acknowledged), (acknowledged) => acknowledged >= events.length, 10_000)
      expect(store.state.calls).toBe(4)
      expect(writer.writes).toEqual({ transientFailures: 3, recoveredBatches: 1, permanentFailures: 0 })
      expect(writer.events).toMatchObject({ delivered: 50, acknowledged: 50, handlerFailures: 0 })
      expect([...store.writesById.keys()].sort()).toEqual(events.map((event) => event.ID).sort())
      expect([...store.writesById.values()].every((count) => count === 1)).toBe(true)
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(layerEmbedded, Topics.layer("embedded"), store.layer)))
  })

  it.live("does not retry a non-transient failure: the handler fails, the bus redelivers, and each delivery writes once", () => {
    const store = scriptedStore([new EventStoreError({ message: "statement refused" }), new EventStoreError({ message: "statement refused", transient: false })])
    const events = batchOf(20)
    return Effect.gen(function* () {
      const writer = yield* publishAndStore(events)
      yield* eventually(Effect.sync(() => writer.events.acknowledged), (acknowledged) => acknowledged >= events.length, 10_000)
      // Three deliveries, three store calls: the writer itself never tried a write again.
      expect(store.state.calls).toBe(3)
      expect(writer.events).toMatchObject({ delivered: 60, acknowledged: 20, handlerFailures: 2 })
      expect(writer.writes).toEqual({ transientFailures: 0, recoveredBatches: 0, permanentFailures: 2 })
      expect([...store.writesById.values()].every((count) => count === 1)).toBe(true)
      expect(store.writesById.size).toBe(20)
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(layerEmbedded, Topics.layer("embedded"), store.layer)))
  })

  it.live("closing the scope stops a write that is still retrying, even on a bus that waits for the batch in hand", () => {
    const store = scriptedStore(Array.from({ length: 1_000 }, transientFailure))
    const handlerExits: Array<Exit.Exit<void, unknown>> = []
    // Like the JetStream bus: closing waits for the running handler instead of interrupting it.
    const waitingBus = Layer.succeed(EventBus, {
      publish: () => Effect.void,
      consume: (_topic, _spec, handle) =>
        Effect.gen(function* () {
          const stats: ConsumerStats = { delivered: 0, acknowledged: 0, malformed: 0, handlerFailures: 0 }
          const batch = [{ sequence: 1, record: { collectorId, event: batchOf(1)[0]! } }] as ReadonlyArray<unknown> as ReadonlyArray<never>
          const running = yield* Effect.forkDaemon(Effect.exit(handle(batch)).pipe(Effect.tap((exit) => Effect.sync(() => handlerExits.push(exit)))))
          yield* Effect.addFinalizer(() => Fiber.await(running))
          return stats
        }),
      read: () => Effect.dieMessage("the storage writer only consumes"),
      lastSequences: () => Effect.dieMessage("the storage writer only consumes")
    })
    return Effect.gen(function* () {
      const scope = yield* Scope.make()
      yield* StorageWriter.start.pipe(Scope.extend(scope))
      yield* eventually(Effect.sync(() => store.state.calls), (calls) => calls >= 3, 5_000)
      const closed = yield* Scope.close(scope, Exit.void).pipe(Effect.timeout("2 seconds"), Effect.exit)
      expect(Exit.isSuccess(closed)).toBe(true)
      expect(handlerExits).toHaveLength(2)
      expect(handlerExits.every(Exit.isFailure)).toBe(true)
      expect(store.writesById.size).toBe(0)
    }).pipe(Effect.provide(Layer.mergeAll(waitingBus, Topics.layer("embedded"), store.layer)))
  })

  it.effect("backs off exponentially from about 100 ms, with jitter, to at most about 5 s, without giving up", () =>
    Effect.gen(function* () {
      const delays = Chunk.toReadonlyArray(yield* Schedule.run(Schedule.delays(StorageWriter.retrySchedule), Date.now(), Array.from({ length: 40 }, () => undefined)))
      const millis = delays.map(Duration.toMillis)
      expect(millis).toHaveLength(40)
      expect(millis[0]).toBeGreaterThanOrEqual(80)
      expect(millis[0]).toBeLessThanOrEqual(120)
      expect(millis[3]).toBeGreaterThanOrEqual(640)
      expect(millis[3]).toBeLessThanOrEqual(960)
      expect(Math.max(...millis)).toBeLessThanOrEqual(6_000)
      expect(millis.slice(10).every((delay) => delay >= 4_000)).toBe(true)
    })
  )
})
