// The EventBus contract: every implementation (embedded, JetStream) must pass the same tests.
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Layer, Scope } from "effect"
import { EventBus, type Sequenced, type Topic } from "../../cluster/EventBus.ts"
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

const subjectFor = (topic: Topic<Item>, tenant: string): string => topic.subjectOf({ id: "", tenant, n: 0 })

/** A reader's handler that keeps every record it was handed, and the size of every batch. */
const collector = () => {
  const seen: Array<Sequenced<Item>> = []
  const batchSizes: Array<number> = []
  const handle = (batch: ReadonlyArray<Sequenced<Item>>) =>
    Effect.sync(() => {
      batchSizes.push(batch.length)
      seen.push(...batch)
    })
  return { seen, batchSizes, handle }
}

const sequencesOf = (records: ReadonlyArray<Sequenced<Item>>) => records.map((entry) => entry.sequence)
const idsOf = (records: ReadonlyArray<Sequenced<Item>>) => records.map((entry) => entry.record.id)
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

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
              for (const { record: item } of batch) seen.push(item.n)
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
            Effect.sync(() => seen.push(...batch.map(({ record: item }) => item.id)))
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
              accepted.push(...batch.map(({ record: item }) => item.n))
              return Effect.void
            })
          )
          yield* eventually(Effect.sync(() => accepted.length), (count) => count >= 3)
          // A failed record comes back after the ones delivered meanwhile (JetStream may cut the
          // first delivery into several batches): each is accepted once, not necessarily in order.
          expect([...accepted].sort()).toEqual([0, 1, 2])
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
                Effect.sync(() => first.push(...batch.map(({ record: item }) => item.n)))
              )
              .pipe(Scope.extend(inner))
            yield* eventually(Effect.sync(() => first.length), (count) => count >= 10)
            yield* Effect.sleep("300 millis")
            yield* Scope.close(inner, Exit.void)
            yield* bus.publish(topic, items(5, "t1", 10))
            const second: Array<number> = []
            yield* bus.consume(topic, { durable: "resumable", filterSubjects: [], maxBatch: 100 }, (batch) =>
              Effect.sync(() => second.push(...batch.map(({ record: item }) => item.n)))
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
            Effect.sync(() => onlyT2.push(...batch.map(({ record: item }) => item.id)))
          )
          yield* bus.consume(topic, { durable: "everything", filterSubjects: [], maxBatch: 100 }, (batch) =>
            Effect.sync(() => all.push(...batch.map(({ record: item }) => item.id)))
          )
          yield* eventually(Effect.sync(() => all.length), (count) => count >= 9)
          yield* eventually(Effect.sync(() => onlyT2.length), (count) => count >= 3)
          yield* Effect.sleep("300 millis")
          expect(onlyT2).toEqual(["t2-0", "t2-1", "t2-2"])
          expect(all).toHaveLength(9)
        })
      ))

    it.live("read from sequence 1 returns one subject's records in stream order with their sequences, and nothing of other subjects", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* EventBus
          const topic = contractTopic()
          // One publish keeps stream order: t1 takes sequences 1-4 and 8-9, t2 takes 5-7.
          yield* bus.publish(topic, [...items(4, "t1"), ...items(3, "t2"), ...items(2, "t1", 4)])
          const reader = collector()
          const stats = yield* bus.read(topic, subjectFor(topic, "t1"), 1, 2, reader.handle)
          yield* eventually(Effect.sync(() => reader.seen.length), (count) => count >= 6)
          yield* Effect.sleep("300 millis")
          expect(sequencesOf(reader.seen)).toEqual([1, 2, 3, 4, 8, 9])
          expect(idsOf(reader.seen)).toEqual(["t1-0", "t1-1", "t1-2", "t1-3", "t1-4", "t1-5"])
          expect(Math.max(...reader.batchSizes)).toBeLessThanOrEqual(2)
          expect(stats).toEqual({ delivered: 6, malformed: 0, handlerFailures: 0, lastSequence: 9 })
        })
      ))

    it.live("a reader started at the sequence after a checkpoint resumes exactly there (replay from a checkpoint)", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* EventBus
          const topic = contractTopic()
          const everySubject = topic.subjects[0]!
          yield* bus.publish(topic, [...items(5, "t1"), ...items(5, "t2")])
          const first = collector()
          const firstScope = yield* Scope.make()
          yield* bus.read(topic, everySubject, 1, 3, first.handle).pipe(Scope.extend(firstScope))
          yield* eventually(Effect.sync(() => first.seen.length), (count) => count >= 10)
          yield* Scope.close(firstScope, Exit.void)
          const checkpoint = first.seen[6]!
          expect(checkpoint).toEqual({ sequence: 7, record: { id: "t2-1", tenant: "t2", n: 1 } })
          const second = collector()
          const stats = yield* bus.read(topic, everySubject, checkpoint.sequence + 1, 100, second.handle)
          yield* eventually(Effect.sync(() => second.seen.length), (count) => count >= 3)
          yield* Effect.sleep("300 millis")
          expect(sequencesOf(second.seen)).toEqual([8, 9, 10])
          expect(idsOf(second.seen)).toEqual(["t2-2", "t2-3", "t2-4"])
          expect(stats.lastSequence).toBe(10)
        })
      ))

    it.live("a reader delivers the records published after it started, as they arrive", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* EventBus
          const topic = contractTopic()
          const reader = collector()
          // Nothing was published yet: the reader itself must bring the stream into being.
          const stats = yield* bus.read(topic, subjectFor(topic, "t1"), 1, 10, reader.handle)
          yield* bus.publish(topic, items(5))
          yield* eventually(Effect.sync(() => reader.seen.length), (count) => count >= 5)
          yield* bus.publish(topic, [...items(2, "t2"), ...items(5, "t1", 5)])
          yield* eventually(Effect.sync(() => reader.seen.length), (count) => count >= 10)
          yield* Effect.sleep("300 millis")
          expect(sequencesOf(reader.seen)).toEqual([...range(1, 5), ...range(8, 12)])
          expect(reader.seen.map((entry) => entry.record.n)).toEqual(range(0, 9))
          expect(stats.lastSequence).toBe(12)
        })
      ))

    it.live("a handler that fails twice is handed the same batch three times, then the reader moves on", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* EventBus
          const topic = contractTopic()
          yield* bus.publish(topic, items(6))
          const handed: Array<Array<number>> = []
          const accepted: Array<number> = []
          const stats = yield* bus.read(topic, subjectFor(topic, "t1"), 1, 4, (batch) =>
            Effect.suspend(() => {
              handed.push(sequencesOf(batch))
              if (handed.length <= 2) return Effect.fail("checkpoint store unavailable")
              accepted.push(...sequencesOf(batch))
              return Effect.void
            })
          )
          yield* eventually(Effect.sync(() => accepted.length), (count) => count >= 6)
          yield* Effect.sleep("300 millis")
          const failedBatch = handed[0]!
          expect(failedBatch.length).toBeGreaterThan(0)
          expect(failedBatch[0]).toBe(1)
          expect(handed[1]).toEqual(failedBatch)
          expect(handed[2]).toEqual(failedBatch)
          expect(accepted).toEqual(range(1, 6))
          expect(stats.handlerFailures).toBe(2)
          expect(stats.delivered).toBe(6 + 2 * failedBatch.length)
          expect(stats.lastSequence).toBe(6)
        })
      ))

    it.live("closing a reader's scope stops delivery: records published afterwards reach only the durable consumer", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* EventBus
          const topic = contractTopic()
          const durable: Array<number> = []
          yield* bus.consume(topic, { durable: "witness", filterSubjects: [], maxBatch: 100 }, (batch) =>
            Effect.sync(() => durable.push(...batch.map(({ record: item }) => item.n)))
          )
          const reader = collector()
          const readerScope = yield* Scope.make()
          yield* bus.read(topic, subjectFor(topic, "t1"), 1, 10, reader.handle).pipe(Scope.extend(readerScope))
          yield* bus.publish(topic, items(3))
          yield* eventually(Effect.sync(() => reader.seen.length), (count) => count >= 3)
          yield* Scope.close(readerScope, Exit.void)
          yield* bus.publish(topic, items(3, "t1", 3))
          yield* eventually(Effect.sync(() => durable.length), (count) => count >= 6)
          yield* Effect.sleep("500 millis")
          expect(durable).toEqual(range(0, 5))
          expect(sequencesOf(reader.seen)).toEqual([1, 2, 3])
        })
      ))

    it.live("closing a reader's scope waits for the batch in hand and does not hand a failed batch again", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* EventBus
          const topic = contractTopic()
          yield* bus.publish(topic, items(3))
          const started = yield* Deferred.make<void>()
          let calls = 0
          let finished = 0
          const readerScope = yield* Scope.make()
          yield* bus
            .read(topic, subjectFor(topic, "t1"), 1, 10, () =>
              Effect.gen(function* () {
                calls++
                yield* Deferred.succeed(started, undefined)
                yield* Effect.sleep("400 millis")
                finished++
                return yield* Effect.fail("still failing")
              })
            )
            .pipe(Scope.extend(readerScope))
          yield* Deferred.await(started)
          yield* Scope.close(readerScope, Exit.void)
          expect(finished).toBe(1)
          yield* Effect.sleep("600 millis")
          expect(calls).toBe(1)
        })
      ))

    it.live("readers at different positions and a durable consumer on one topic each progress on their own", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* EventBus
          const topic = contractTopic()
          const t1 = subjectFor(topic, "t1")
          yield* bus.publish(topic, items(10))
          const durable: Array<number> = []
          yield* bus.consume(topic, { durable: "alongside", filterSubjects: [], maxBatch: 4 }, (batch) =>
            Effect.sync(() => durable.push(...batch.map(({ record: item }) => item.n)))
          )
          const fromStart = collector()
          const fromStartScope = yield* Scope.make()
          const fromStartStats = yield* bus.read(topic, t1, 1, 3, fromStart.handle).pipe(Scope.extend(fromStartScope))
          const fromSix = collector()
          const fromSixStats = yield* bus.read(topic, t1, 6, 5, fromSix.handle)
          yield* bus.publish(topic, items(5, "t1", 10))
          yield* eventually(Effect.sync(() => fromStart.seen.length), (count) => count >= 15)
          yield* eventually(Effect.sync(() => fromSix.seen.length), (count) => count >= 10)
          yield* eventually(Effect.sync(() => durable.length), (count) => count >= 15)
          expect(sequencesOf(fromStart.seen)).toEqual(range(1, 15))
          expect(sequencesOf(fromSix.seen)).toEqual(range(6, 15))
          expect(durable).toEqual(range(0, 14))
          // One reader going away leaves the other and the durable consumer running.
          yield* Scope.close(fromStartScope, Exit.void)
          yield* bus.publish(topic, items(3, "t1", 15))
          yield* eventually(Effect.sync(() => fromSix.seen.length), (count) => count >= 13)
          yield* eventually(Effect.sync(() => durable.length), (count) => count >= 18)
          yield* Effect.sleep("300 millis")
          expect(sequencesOf(fromSix.seen)).toEqual(range(6, 18))
          expect(durable).toEqual(range(0, 17))
          expect(fromStart.seen).toHaveLength(15)
          expect(fromStartStats.lastSequence).toBe(15)
          expect(fromSixStats.lastSequence).toBe(18)
        })
      ))

    it.live("a reader from a sequence past the end waits, then takes exactly the records from that sequence on", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* EventBus
          const topic = contractTopic()
          yield* bus.publish(topic, items(3))
          const reader = collector()
          const stats = yield* bus.read(topic, topic.subjects[0]!, 6, 10, reader.handle)
          yield* Effect.sleep("300 millis")
          expect(reader.seen).toHaveLength(0)
          yield* bus.publish(topic, items(5, "t1", 3))
          yield* eventually(Effect.sync(() => reader.seen.length), (count) => count >= 3)
          yield* Effect.sleep("300 millis")
          expect(sequencesOf(reader.seen)).toEqual([6, 7, 8])
          expect(idsOf(reader.seen)).toEqual(["t1-5", "t1-6", "t1-7"])
          expect(stats.lastSequence).toBe(8)
        })
      ))

    it.live("a reader that is far behind loses nothing while a durable consumer acknowledges everything", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* EventBus
          const topic = contractTopic()
          // More than the embedded bus keeps once every durable consumer is past it.
          const total = 10_500
          for (let from = 0; from < total; from += 1_500) yield* bus.publish(topic, items(1_500, "t1", from))
          const release = yield* Deferred.make<void>()
          const seen: Array<number> = []
          yield* bus.read(topic, subjectFor(topic, "t1"), 1, 500, (batch) =>
            Deferred.await(release).pipe(Effect.andThen(Effect.sync(() => seen.push(...sequencesOf(batch)))))
          )
          const acknowledged = yield* bus.consume(topic, { durable: "ahead", filterSubjects: [], maxBatch: 1_000 }, () => Effect.void)
          yield* eventually(Effect.sync(() => acknowledged.acknowledged), (count) => count >= total)
          yield* Deferred.succeed(release, undefined)
          yield* eventually(Effect.sync(() => seen.length), (count) => count >= total)
          expect(seen).toEqual(range(1, total))
        })
      ))

    it.live("lastSequences answers each subject's (or wildcard filter's) last stored sequence in the order asked, 0 for none, also for a stream never published to", () =>
      run(
        Effect.gen(function* () {
          const bus = yield* EventBus
          const topic = contractTopic()
          const t1 = subjectFor(topic, "t1")
          const t2 = subjectFor(topic, "t2")
          const t3 = subjectFor(topic, "t3")
          expect(yield* bus.lastSequences(topic, [t1, topic.subjects[0]!])).toEqual([0, 0])
          // t1 takes sequences 1-4 and 8-9, t2 takes 5-7; a duplicate takes none.
          yield* bus.publish(topic, [...items(4, "t1"), ...items(3, "t2"), ...items(2, "t1", 4)])
          yield* bus.publish(topic, items(1, "t2"))
          expect(yield* bus.lastSequences(topic, [t2, t1, t3, topic.subjects[0]!])).toEqual([7, 9, 0, 9])
          expect(yield* bus.lastSequences(topic, [])).toEqual([])
        })
      ))
  })
