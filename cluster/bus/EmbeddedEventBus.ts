// The in-process bus for single-node mode and unit tests: per-stream logs with durable cursors,
// de-duplication by record id, at-least-once delivery and redelivery after a handler failure,
// and readers by sequence. Records pass as values, never encoded: one process needs no wire format.
import { Deferred, Effect, Exit, Layer } from "effect"
import {
  EventBus,
  requireReadPosition,
  type ConsumerSpec,
  type ConsumerStats,
  type EventBusShape,
  type ReaderStats,
  type Sequenced,
  type Topic
} from "../EventBus.ts"
import { subjectMatches } from "./SubjectMatch.ts"

interface Entry {
  readonly subject: string
  readonly record: unknown
}

/** How many record ids a stream remembers for de-duplication. */
const DuplicateWindow = 100_000
/** Acknowledged entries are dropped once this many sit before every cursor and reader. */
const TrimThreshold = 10_000
/** How long a reader waits before handing a failed batch to its handler again. */
const ReadRetryPause = "200 millis"

/** Where a live reader is: the first sequence its handler has not yet taken. */
interface ReaderPosition {
  next: number
}

class MemoryStream {
  /** Sequence of entries[0]; sequences start at 1, as in JetStream. */
  base = 1
  entries: Array<Entry> = []
  readonly recentIds = new Set<string>()
  /** Ring of the last DuplicateWindow ids, oldest at `recentNext` once full. */
  readonly recentRing: Array<string | undefined> = new Array(DuplicateWindow)
  recentNext = 0
  readonly cursors = new Map<string, number>()
  /** Live readers hold back trimming like cursors do, but only while their scope lives. */
  readonly readers = new Set<ReaderPosition>()
  /** The sequence of the last entry per subject: survives trimming, as JetStream's per-subject state does. */
  readonly lastBySubject = new Map<string, number>()
  signal = Deferred.unsafeMake<void>(undefined as never)

  append(subject: string, id: string, record: unknown): void {
    if (this.recentIds.has(id)) return
    this.recentIds.add(id)
    const evicted = this.recentRing[this.recentNext]
    if (evicted !== undefined) this.recentIds.delete(evicted)
    this.recentRing[this.recentNext] = id
    this.recentNext = (this.recentNext + 1) % DuplicateWindow
    this.entries.push({ subject, record })
    this.lastBySubject.set(subject, this.base + this.entries.length - 1)
  }

  /** The last sequence on `filter` (a subject or a wildcard filter); 0 when none. */
  lastSequence(filter: string): number {
    const exact = this.lastBySubject.get(filter)
    if (exact !== undefined) return exact
    let last = 0
    for (const [subject, sequence] of this.lastBySubject) if (sequence > last && subjectMatches(filter, subject)) last = sequence
    return last
  }

  wake(): void {
    const previous = this.signal
    this.signal = Deferred.unsafeMake<void>(undefined as never)
    Deferred.unsafeDone(previous, Exit.void)
  }

  /** Entries from `cursor` matching the filters (none: every entry), at most `max`, with their sequences; and the cursor after them. */
  read(cursor: number, filters: ReadonlyArray<string>, max: number): { batch: Array<Sequenced<unknown>>; next: number } {
    const batch: Array<Sequenced<unknown>> = []
    let seq = Math.max(cursor, this.base)
    const end = this.base + this.entries.length
    for (; seq < end && batch.length < max; seq++) {
      const entry = this.entries[seq - this.base]!
      if (filters.length === 0 || filters.some((filter) => subjectMatches(filter, entry.subject))) batch.push({ sequence: seq, record: entry.record })
    }
    return { batch, next: seq }
  }

  acknowledge(durable: string, next: number): void {
    this.cursors.set(durable, next)
    let lowest = Number.POSITIVE_INFINITY
    for (const cursor of this.cursors.values()) lowest = Math.min(lowest, cursor)
    for (const reader of this.readers) lowest = Math.min(lowest, reader.next)
    if (lowest - this.base >= TrimThreshold) {
      this.entries = this.entries.slice(lowest - this.base)
      this.base = lowest
    }
  }
}

/** Builds an embedded bus; each call has its own streams. */
export const make = Effect.sync((): EventBusShape => {
  const streams = new Map<string, MemoryStream>()
  const streamOf = (name: string): MemoryStream => {
    let stream = streams.get(name)
    if (stream === undefined) {
      stream = new MemoryStream()
      streams.set(name, stream)
    }
    return stream
  }

  const publish = <A>(topic: Topic<A>, records: ReadonlyArray<A>) =>
    Effect.sync(() => {
      if (records.length === 0) return
      const stream = streamOf(topic.stream)
      for (const record of records) stream.append(topic.subjectOf(record), topic.idOf(record), record)
      stream.wake()
    })

  const consume = <A, E, R>(
    topic: Topic<A>,
    spec: ConsumerSpec,
    handle: (batch: ReadonlyArray<Sequenced<A>>) => Effect.Effect<void, E, R>
  ) =>
    Effect.gen(function* () {
      const stream = streamOf(topic.stream)
      const stats: ConsumerStats = { delivered: 0, acknowledged: 0, malformed: 0, handlerFailures: 0 }
      if (!stream.cursors.has(spec.durable)) stream.cursors.set(spec.durable, stream.base)
      const loop = Effect.gen(function* () {
        while (true) {
          const signal = stream.signal
          const cursor = stream.cursors.get(spec.durable) ?? stream.base
          const { batch: records, next } = stream.read(cursor, spec.filterSubjects, spec.maxBatch)
          if (records.length === 0) {
            if (next !== cursor) stream.acknowledge(spec.durable, next)
            else yield* Deferred.await(signal)
            continue
          }
          stats.delivered += records.length
          const exit = yield* Effect.exit(handle(records as Array<Sequenced<A>>))
          if (Exit.isSuccess(exit)) {
            stream.acknowledge(spec.durable, next)
            stats.acknowledged += records.length
          } else {
            stats.handlerFailures++
            yield* Effect.logWarning("handler failed; batch will be redelivered", exit.cause)
            yield* Effect.sleep("200 millis")
          }
        }
      })
      yield* Effect.forkScoped(loop)
      return stats
    })

  const read = <A, E, R>(
    topic: Topic<A>,
    subject: string,
    fromSequence: number,
    maxBatch: number,
    handle: (batch: ReadonlyArray<Sequenced<A>>) => Effect.Effect<void, E, R>
  ) =>
    Effect.gen(function* () {
      yield* requireReadPosition(topic as Topic<unknown>, fromSequence, maxBatch)
      const stream = streamOf(topic.stream)
      const stats: ReaderStats = { delivered: 0, malformed: 0, handlerFailures: 0, lastSequence: 0 }
      const position: ReaderPosition = { next: fromSequence }
      yield* Effect.acquireRelease(
        Effect.sync(() => stream.readers.add(position)),
        () => Effect.sync(() => stream.readers.delete(position))
      )
      const loop = Effect.gen(function* () {
        while (true) {
          const signal = stream.signal
          const { batch, next } = stream.read(position.next, [subject], maxBatch)
          if (batch.length === 0) {
            if (next !== position.next) position.next = next
            else yield* Deferred.await(signal)
            continue
          }
          const records = batch as Array<Sequenced<A>>
          while (true) {
            stats.delivered += records.length
            // Like the JetStream reader, closing the scope waits for the batch in hand; only the
            // waits between batches and retries are interrupted.
            const exit = yield* Effect.exit(Effect.uninterruptible(handle(records)))
            if (Exit.isSuccess(exit)) break
            stats.handlerFailures++
            yield* Effect.logWarning(`reader of ${subject}: handler failed; batch will be handed again`, exit.cause)
            yield* Effect.sleep(ReadRetryPause)
          }
          // The position moves only after success, so the entries of a failing batch stay retained.
          position.next = next
          stats.lastSequence = records[records.length - 1]!.sequence
        }
      })
      yield* Effect.forkScoped(loop)
      return stats
    })

  // A stream nobody published to yet has no records: every subject's last sequence is 0.
  const lastSequences = <A>(topic: Topic<A>, subjects: ReadonlyArray<string>) =>
    Effect.sync(() => {
      const stream = streams.get(topic.stream)
      return subjects.map((subject) => stream?.lastSequence(subject) ?? 0)
    })

  return { publish, consume, read, lastSequences }
})

/** The embedded bus as a layer. */
export const layerEmbedded: Layer.Layer<EventBus> = Layer.effect(EventBus, make)
