// The event bus on NATS JetStream: file-backed replicated streams, msg-id de-duplication, durable
// pull consumers acknowledged only after the handler succeeded, and ordered consumers for readers.
import { setTimeout as sleep } from "node:timers/promises"
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, StorageType, type JsMsg } from "@nats-io/jetstream"
import { connect, type NatsConnection } from "@nats-io/transport-node"
import { Context, Effect, Exit, Layer, Runtime, Schedule } from "effect"
import {
  BusError,
  EventBus,
  requireReadPosition,
  type ConsumerSpec,
  type ConsumerStats,
  type EventBusShape,
  type ReaderStats,
  type Sequenced,
  type Topic
} from "../EventBus.ts"

/** Where the NATS cluster is and how streams are replicated. */
export interface NatsConfig {
  readonly servers: ReadonlyArray<string>
  /** Stream replicas: 3 on a 3-node cluster. */
  readonly replicas: number
  readonly connectionName: string
}

/** The live NATS connection of a node. */
export class NatsConnectionTag extends Context.Tag("corvus/NatsConnection")<NatsConnectionTag, NatsConnection>() {}

const millisToNanos = (millis: number): number => millis * 1_000_000
const DuplicateWindowMillis = 2 * 60_000

/** Connects to NATS for the lifetime of the scope, draining on release. */
export const layerConnection = (config: NatsConfig): Layer.Layer<NatsConnectionTag, BusError> =>
  Layer.scoped(
    NatsConnectionTag,
    Effect.acquireRelease(
      Effect.tryPromise({
        try: () =>
          connect({
            servers: [...config.servers],
            name: config.connectionName,
            maxReconnectAttempts: -1,
            reconnectTimeWait: 250
          }),
        catch: (cause) => new BusError({ message: `cannot connect to NATS at ${config.servers.join(",")}`, cause })
      }),
      (connection) => Effect.promise(() => connection.drain().catch(() => connection.close()))
    )
  )

const retryTransient = Schedule.exponential("100 millis").pipe(Schedule.compose(Schedule.recurs(6)))
/** How long a reader waits before handing a failed batch to its handler again. */
const ReadRetryPauseMillis = 200

/** How many last-sequence reads one call has in flight: hides round trips without flooding the stream leader. */
const LastSequenceReads = 16

const NothingBuffered = Symbol("NothingBuffered")
const afterBufferedMessages = () => new Promise<typeof NothingBuffered>((resolve) => setImmediate(() => resolve(NothingBuffered)))

/**
 * Takes messages in batches of whatever has already arrived, up to `maxBatch`; undefined once the
 * messages end. A read that would wait is carried over as the start of the next batch (the
 * iterator's pending count is not exact enough to decide that up front).
 */
const batchesOf = (messages: AsyncIterable<JsMsg>, maxBatch: number) => {
  const iterator = messages[Symbol.asyncIterator]()
  let carried: Promise<IteratorResult<JsMsg>> | undefined
  return async (): Promise<Array<JsMsg> | undefined> => {
    const first = await (carried ?? iterator.next())
    carried = undefined
    if (first.done === true) return undefined
    const batch: Array<JsMsg> = [first.value]
    while (batch.length < maxBatch) {
      const next = iterator.next()
      const arrived = await Promise.race([next, afterBufferedMessages()])
      if (arrived === NothingBuffered || arrived.done === true) {
        carried = next
        break
      }
      batch.push(arrived.value)
    }
    return batch
  }
}

/** Builds the JetStream bus over an open connection. */
export const make = (config: NatsConfig) =>
  Effect.gen(function* () {
    const connection = yield* NatsConnectionTag
    const manager = yield* Effect.tryPromise({
      try: () => jetstreamManager(connection),
      catch: (cause) => new BusError({ message: "JetStream is not available", cause })
    })
    const client = jetstream(connection)
    const ensured = new Map<string, Promise<void>>()

    // Streams are created or updated once per process, idempotently.
    const ensureStream = (topic: Topic<unknown>) => {
      let pending = ensured.get(topic.stream)
      if (pending === undefined) {
        const streamConfig = {
          name: topic.stream,
          subjects: [...topic.subjects],
          storage: StorageType.File,
          num_replicas: config.replicas,
          duplicate_window: millisToNanos(DuplicateWindowMillis)
        }
        pending = manager.streams.info(topic.stream).then(
          () => manager.streams.update(topic.stream, streamConfig).then(() => undefined),
          () => manager.streams.add(streamConfig).then(() => undefined)
        )
        pending.catch(() => ensured.delete(topic.stream))
        ensured.set(topic.stream, pending)
      }
      return Effect.tryPromise({
        try: () => pending,
        catch: (cause) => new BusError({ message: `cannot set up stream ${topic.stream}`, cause })
      }).pipe(Effect.retry(retryTransient))
    }

    const publish = <A>(topic: Topic<A>, records: ReadonlyArray<A>) =>
      Effect.gen(function* () {
        if (records.length === 0) return
        yield* ensureStream(topic as Topic<unknown>)
        const payloads = records.map((record) => ({ subject: topic.subjectOf(record), id: topic.idOf(record), data: topic.encode(record) }))
        // Every publish is acknowledged by the stream (stored per sync_interval), or the batch fails.
        yield* Effect.tryPromise({
          try: () => Promise.all(payloads.map((p) => client.publish(p.subject, p.data, { msgID: p.id }))),
          catch: (cause) => new BusError({ message: `publish to ${topic.stream} not acknowledged`, cause })
        }).pipe(Effect.retry(retryTransient))
      })

    const consume = <A, E, R>(
      topic: Topic<A>,
      spec: ConsumerSpec,
      handle: (batch: ReadonlyArray<Sequenced<A>>) => Effect.Effect<void, E, R>
    ) =>
      Effect.gen(function* () {
        yield* ensureStream(topic as Topic<unknown>)
        const consumerConfig = {
          durable_name: spec.durable,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          ack_wait: millisToNanos(30_000),
          max_ack_pending: Math.max(1_000, spec.maxBatch * 4),
          ...(spec.filterSubjects.length > 0 ? { filter_subjects: [...spec.filterSubjects] } : {})
        }
        yield* Effect.tryPromise({
          try: () =>
            manager.consumers.info(topic.stream, spec.durable).then(
              () => manager.consumers.update(topic.stream, spec.durable, consumerConfig),
              () => manager.consumers.add(topic.stream, consumerConfig)
            ),
          catch: (cause) => new BusError({ message: `cannot set up consumer ${spec.durable} on ${topic.stream}`, cause })
        }).pipe(Effect.retry(retryTransient))
        const consumer = yield* Effect.tryPromise({
          try: () => client.consumers.get(topic.stream, spec.durable),
          catch: (cause) => new BusError({ message: `consumer ${spec.durable} not found`, cause })
        })
        const messages = yield* Effect.tryPromise({
          try: () => consumer.consume({ max_messages: spec.maxBatch * 2 }),
          catch: (cause) => new BusError({ message: `cannot consume ${spec.durable}`, cause })
        })
        const stats: ConsumerStats = { delivered: 0, acknowledged: 0, malformed: 0, handlerFailures: 0 }
        const runtime = yield* Effect.runtime<R>()
        const runHandler = Runtime.runPromiseExit(runtime)

        // The pull loop is plain async code, one Effect run per batch, not per message.
        const nextBatch = batchesOf(messages, spec.maxBatch)
        const pump = async (): Promise<void> => {
          while (true) {
            const batch = await nextBatch()
            if (batch === undefined) return
            stats.delivered += batch.length
            const records: Array<Sequenced<A>> = []
            const accepted: Array<JsMsg> = []
            for (const message of batch) {
              try {
                records.push({ sequence: message.seq, record: topic.decode(message.data) })
                accepted.push(message)
              } catch (cause) {
                // Malformed data can never succeed: count it and terminate it instead of looping.
                stats.malformed++
                message.term(`malformed: ${String(cause)}`.slice(0, 200))
              }
            }
            if (records.length === 0) continue
            const exit = await runHandler(handle(records))
            if (Exit.isSuccess(exit)) {
              for (const message of accepted) message.ack()
              stats.acknowledged += accepted.length
            } else {
              stats.handlerFailures++
              for (const message of accepted) message.nak(500)
              await runHandler(Effect.logWarning(`consumer ${spec.durable}: handler failed; batch will be redelivered`, exit.cause) as Effect.Effect<void, never, R>)
            }
          }
        }
        // Closing the scope stops the pull and waits for the batch in hand, so no handler runs
        // after the resources it uses (stores, connections) are released.
        const pumping = pump().catch((cause) => runHandler(Effect.logError(`consumer ${spec.durable} stopped`, cause) as Effect.Effect<void, never, R>))
        yield* Effect.addFinalizer(() =>
          Effect.promise(async () => {
            await messages.close().catch(() => undefined)
            await pumping
          })
        )
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
        yield* ensureStream(topic as Topic<unknown>)
        // An ordered consumer: ephemeral, unacknowledged and in memory on one server. After a gap or
        // missed heartbeats the client recreates it from the sequence after the last one it passed
        // on, so the position survives the loss of that server without a durable of our own.
        const consumer = yield* Effect.acquireRelease(
          Effect.tryPromise({
            try: () =>
              client.consumers.get(topic.stream, {
                filter_subjects: subject,
                deliver_policy: DeliverPolicy.StartSequence,
                opt_start_seq: fromSequence
              }),
            catch: (cause) => new BusError({ message: `cannot read ${subject} of ${topic.stream} from ${fromSequence}`, cause })
          }).pipe(Effect.retry(retryTransient)),
          // Left alone, the server would drop it only after its inactivity threshold.
          (consumer) => Effect.promise(() => consumer.delete().catch(() => false))
        )
        // The consumer is created through the meta leader and runs on a server of its own: a pull
        // sent before that server's interest reached ours gets "no responders", and the client only
        // pulls again after two missed heartbeats (30 s). An info answered by the consumer's leader
        // comes after that interest.
        yield* Effect.tryPromise({
          try: () => consumer.info(),
          catch: (cause) => new BusError({ message: `reader of ${subject} on ${topic.stream} did not start`, cause })
        }).pipe(Effect.retry(retryTransient))
        const messages = yield* Effect.tryPromise({
          try: () => consumer.consume({ max_messages: maxBatch * 2 }),
          catch: (cause) => new BusError({ message: `cannot read ${subject} of ${topic.stream}`, cause })
        })
        const stats: ReaderStats = { delivered: 0, malformed: 0, handlerFailures: 0, lastSequence: 0 }
        const runtime = yield* Effect.runtime<R>()
        const runHandler = Runtime.runPromiseExit(runtime)
        const stopping = new AbortController()

        const nextBatch = batchesOf(messages, maxBatch)
        const pump = async (): Promise<void> => {
          while (true) {
            const batch = await nextBatch()
            if (batch === undefined) return
            // Closing leaves already buffered messages ahead of the end of the iterator: they are
            // drained without delivery so that nothing reaches the handler after the close.
            if (stopping.signal.aborted) continue
            const records: Array<Sequenced<A>> = []
            const malformed: Array<number> = []
            for (const message of batch) {
              try {
                records.push({ sequence: message.seq, record: topic.decode(message.data) })
              } catch {
                // Malformed data can never succeed: skipping it is the only way forward.
                malformed.push(message.seq)
              }
            }
            if (malformed.length > 0) {
              stats.malformed += malformed.length
              await runHandler(Effect.logWarning(`reader of ${subject}: skipped malformed records`, malformed) as Effect.Effect<void, never, R>)
            }
            if (records.length === 0) continue
            while (!stopping.signal.aborted) {
              stats.delivered += records.length
              const exit = await runHandler(handle(records))
              if (Exit.isSuccess(exit)) {
                stats.lastSequence = records[records.length - 1]!.sequence
                break
              }
              stats.handlerFailures++
              await runHandler(Effect.logWarning(`reader of ${subject}: handler failed; batch will be handed again`, exit.cause) as Effect.Effect<void, never, R>)
              await sleep(ReadRetryPauseMillis, undefined, { signal: stopping.signal }).catch(() => undefined)
            }
          }
        }
        const pumping = pump().catch((cause) => runHandler(Effect.logError(`reader of ${subject} stopped`, cause) as Effect.Effect<void, never, R>))
        // Closing the scope waits for the batch in hand and cuts short a pause before a retry; the
        // pump ends with the iterator, which the close ends.
        yield* Effect.addFinalizer(() =>
          Effect.promise(async () => {
            stopping.abort()
            void messages.close().catch(() => undefined)
            await pumping
          })
        )
        return stats
      })

    // One direct read of the stream's last message per subject (the server accepts wildcard
    // filters there); a subject without messages answers nothing, which is sequence 0.
    const lastSequences = <A>(topic: Topic<A>, subjects: ReadonlyArray<string>) =>
      Effect.gen(function* () {
        if (subjects.length === 0) return []
        yield* ensureStream(topic as Topic<unknown>)
        return yield* Effect.forEach(
          subjects,
          (subject) =>
            Effect.tryPromise({
              try: () => manager.streams.getMessage(topic.stream, { last_by_subj: subject }),
              catch: (cause) => new BusError({ message: `cannot read the last sequence of ${subject} on ${topic.stream}`, cause })
            }).pipe(
              Effect.retry(retryTransient),
              Effect.map((message) => message?.seq ?? 0)
            ),
          { concurrency: LastSequenceReads }
        )
      })

    return { publish, consume, read, lastSequences } satisfies EventBusShape
  })

/** The JetStream bus with its own connection. */
export const layer = (config: NatsConfig): Layer.Layer<EventBus, BusError> =>
  Layer.effect(EventBus, make(config)).pipe(Layer.provide(layerConnection(config)))
