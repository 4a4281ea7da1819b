// The EventBus contract: every implementation (embedded, JetStream) must pass the same tests.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Scope } from "effect"
import { EventBus, type Topic } from "../../cluster/EventBus.ts"
import { eventually } from "../support/eventually.ts"
import { uniqueSuffix } from "../support/testIds.ts"

interface Item {
  readonly id: string
  readonly tenant: string
  readonly n: number
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** A topic of its own for one test. */
export const contractTopic = (): Topic<Item> => {
  const tag = uniqueSuffix()
  return {
    stream: `CONTRACT_${tag}`,
    subjects: [`contract.${tag}.>`],
    subjectOf: (item) => `contract.${tag}.${item.tenant}`,
    idOf: (item) => item.id,
    encode: (item) => encoder.encode(JSON.stringify(item)),
    decode: (bytes) => {
      const value = JSON.parse(decoder.decode(bytes)) as Item
      if (typeof value.n !== "number") throw new Error("n missing")
      return value
    }
  }
}

const items = (count: number, tenant = "t1", from = 0): Array<Item> =>
  Array.from({ length: count }, (_, i) => ({ id: `${tenant}-${from + i}`, tenant, n: from + i }))

export const eventBusContract = (name: string, makeLayer: () => Layer.Layer<EventBus, unknown>) =>
  describe(`EventBus contract: ${name}`, () => {
    const run = <A, E>(test: Effect.Effect<A, E, EventBus | Scope.Scope>) =>
      Effect.scoped(test).pipe(Effect.provide(makeLayer()), Effect.orDie)

    it.live("delivers every published record once, in order, in batches of at most maxBatch", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* EventBus
          const topic = contractTopic()
          yield* bus.publish(topic, items(250))
          const seen: Array<number> = []
          const batchSizes: Array<number> = []
          yield* bus.consume(topic, { durable: "reader", filterSubjects: [], maxBatch: 40 }, (batch) =>
            Effect.sync(() => {
              batchSizes.push(batch.length)
              for (const item of batch) seen.push(item.n)
            })
          )
          yield* bus.publish(topic, items(50, "t1", 250))
          yield* eventually(Effect.sync(() => seen.length), (count) => count >= 300)
          expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i))
          expect(Math.max(...batchSizes)).toBeLessThanOrEqual(40)
        })
      ))

    it.live("drops a record whose id was already published (de-duplication)", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* EventBus
          const topic = contractTopic()
          yield* bus.publish(topic, items(5))
          yield* bus.publish(topic, items(5))
          yield* bus.publish(topic, items(1, "t1", 5))
          const seen: Array<string> = []
          yield* bus.consume(topic, { durable: "reader", filterSubjects: [], maxBatch: 100 }, (batch) =>
            Effect.sync(() => seen.push(...batch.map((item) => item.id)))
          )
          yield* eventually(Effect.sync(() => seen.length), (count) => count >= 6)
          yield* Effect.sleep("300 millis")
          expect(seen).toEqual(["t1-0", "t1-1", "t1-2", "t1-3", "t1-4", "t1-5"])
        })
      ))

    it.live("redelivers a batch whose handler failed, and acknowledges it once it succeeds", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* EventBus
          const topic = contractTopic()
          yield* bus.publish(topic, items(3))
          let attempts = 0
          const accepted: Array<number> = []
          const stats = yield* bus.consume(topic, { durable: "flaky", filterSubjects: [], maxBatch: 10 }, (batch) =>
            Effect.suspend(() => {
              attempts++
              if (attempts === 1) return Effect.fail("storage unavailable")
              accepted.push(...batch.map((item) => item.n))
              return Effect.void
            })
          )
          yield* eventually(Effect.sync(() => accepted.length), (count) => count >= 3)
          expect(accepted).toEqual([0, 1, 2])
          expect(attempts).toBeGreaterThanOrEqual(2)
          expect(stats.handlerFailures).toBeGreaterThanOrEqual(1)
        })
      ))

    it.live("a durable consumer resumes after its last acknowledged record when restarted", () =>
      Effect.gen(function* () {
        const topic = contractTopic()
        const layer = makeLayer()
        // One bus instance across both consumers: a restart of the consumer, not of the bus.
        yield* Effect.scoped(
          Effect.gen(function* () {
            const bus = yield* EventBus
            yield* bus.publish(topic, items(10))
            const first: Array<number> = []
            const inner = yield* Scope.make()
            yield* bus
              .consume(topic, { durable: "resumable", filterSubjects: [], maxBatch: 100 }, (batch) =>
                Effect.sync(() => first.push(...batch.map((item) => item.n)))
              )
              .pipe(Scope.extend(inner))
            yield* eventually(Effect.sync(() => first.length), (count) => count >= 10)
            yield* Effect.sleep("300 millis")
            yield* Scope.close(inner, Exit.void)
            yield* bus.publish(topic, items(5, "t1", 10))
            const second: Array<number> = []
            yield* bus.consume(topic, { durable: "resumable", filterSubjects: [], maxBatch: 100 }, (batch) =>
              Effect.sync(() => second.push(...batch.map((item) => item.n)))
            )
            yield* eventually(Effect.sync(() => second.length), (count) => count >= 5)
            yield* Effect.sleep("300 millis")
            expect(second).toEqual([10, 11, 12, 13, 14])
          })
        ).pipe(Effect.provide(layer), Effect.orDie)
      }))

    it.live("filter subjects select one tenant's records; independent durables each get everything", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* EventBus
          const topic = contractTopic()
          yield* bus.publish(topic, [...items(4, "t1"), ...items(3, "t2"), ...items(2, "t1", 4)])
          const onlyT2: Array<string> = []
          const all: Array<string> = []
          const t2Subject = topic.subjectOf({ id: "", tenant: "t2", n: 0 })
          yield* bus.consume(topic, { durable: "t2-only", filterSubjects: [t2Subject], maxBatch: 100 }, (batch) =>
            Effect.sync(() => onlyT2.push(...batch.map((item) => item.id)))
          )
          yield* bus.consume(topic, { durable: "everything", filterSubjects: [], maxBatch: 100 }, (batch) =>
            Effect.sync(() => all.push(...batch.map((item) => item.id)))
          )
          yield* eventually(Effect.sync(() => all.length), (count) => count >= 9)
          yield* eventually(Effect.sync(() => onlyT2.length), (count) => count >= 3)
          yield* Effect.sleep("300 millis")
          expect(onlyT2).toEqual(["t2-0", "t2-1", "t2-2"])
          expect(all).toHaveLength(9)
        })
      ))
  })
