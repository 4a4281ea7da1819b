// The event bus port: durable, replayable streams of typed records. Production is JetStream;
// single-node and unit tests use the embedded bus. Consumers are at-least-once and acknowledge
// only after the handler succeeded; readers replay from a stream sequence and keep no state.
import { Context, Data, Effect, type Scope } from "effect"

/** A typed stream of records: names, subjects and the wire codec in one place. */
export interface Topic<A> {
  /** JetStream stream name. */
  readonly stream: string
  /** The subjects the stream captures (may use wildcards). */
  readonly subjects: ReadonlyArray<string>
  /** The subject one record is published on. */
  readonly subjectOf: (record: A) => string
  /** The de-duplication id of one record (JetStream Nats-Msg-Id). */
  readonly idOf: (record: A) => string
  readonly encode: (record: A) => Uint8Array
  /** Decodes wire bytes; throws on malformed data (the consumer counts and drops it). */
  readonly decode: (bytes: Uint8Array) => A
}

/** A durable consumer of a topic. */
export interface ConsumerSpec {
  /** Durable name; consumers with the same name share progress. */
  readonly durable: string
  /** Subjects to take (within the topic's subjects); all of the topic when empty. */
  readonly filterSubjects: ReadonlyArray<string>
  /** Upper bound on records per handler call. */
  readonly maxBatch: number
}

/** Counters a consumer reports. */
export interface ConsumerStats {
  delivered: number
  acknowledged: number
  malformed: number
  handlerFailures: number
}

/** One record read back from a stream with its stream sequence. */
export interface Sequenced<A> {
  readonly sequence: number
  readonly record: A
}

/** Counters a reader reports. */
export interface ReaderStats {
  /** Records handed to the handler; a batch handed again after a failure counts again. */
  delivered: number
  malformed: number
  handlerFailures: number
  /** The last sequence handed to a successful handler; 0 before any. */
  lastSequence: number
}

/** Bus infrastructure failure (connection, stream set-up, publish not acknowledged). */
export class BusError extends Data.TaggedError("BusError")<{ readonly message: string; readonly cause?: unknown }> {}

export interface EventBusShape {
  /** Publishes records; completes when the bus has durably accepted every one of them. */
  readonly publish: <A>(topic: Topic<A>, records: ReadonlyArray<A>) => Effect.Effect<void, BusError>
  /**
   * Starts a durable consumer in the background of the current scope. `handle` gets batches in
   * stream order, each record with its stream sequence; they are acknowledged only when it
   * succeeds, and redelivered (after newer records) when it fails.
   */
  readonly consume: <A, E, R>(
    topic: Topic<A>,
    spec: ConsumerSpec,
    handle: (batch: ReadonlyArray<Sequenced<A>>) => Effect.Effect<void, E, R>
  ) => Effect.Effect<ConsumerStats, BusError, R | Scope.Scope>
  /**
   * Reads, in stream order and from `fromSequence` (inclusive; 1 = the start), the records of `topic`
   * on `subject` (one subject, may be a wildcard filter), in batches of at most `maxBatch`, for as
   * long as the scope lives; new records are delivered as they arrive. Nothing is acknowledged and no
   * durable state is kept: the caller's checkpoint is the position. A failing handler gets the same
   * batch again (after a short pause) until it succeeds; a malformed record is skipped, counted and
   * its sequence still advances. Closing the scope waits for the batch in hand and then delivers
   * nothing more. A position before the stream's first retained record starts at that record.
   * This is how a partition's new owner replays from its checkpoint.
   */
  readonly read: <A, E, R>(
    topic: Topic<A>,
    subject: string,
    fromSequence: number,
    maxBatch: number,
    handle: (batch: ReadonlyArray<Sequenced<A>>) => Effect.Effect<void, E, R>
  ) => Effect.Effect<ReaderStats, BusError, R | Scope.Scope>
  /**
   * The stream sequence of the last record stored on each of `subjects` (a subject may be a
   * wildcard filter: the last of any subject it matches), in the order asked; 0 for a subject with
   * no record. For progress reports (how far a reader lags), not for the per-event path: it costs
   * a round trip per subject.
   */
  readonly lastSequences: <A>(topic: Topic<A>, subjects: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<number>, BusError>
}

/** A bug in a caller of `read`: positions and batch sizes are whole numbers from 1. */
export const requireReadPosition = (topic: Topic<unknown>, fromSequence: number, maxBatch: number): Effect.Effect<void> =>
  !Number.isInteger(fromSequence) || fromSequence < 1 || !Number.isInteger(maxBatch) || maxBatch < 1
    ? Effect.dieMessage(`read of ${topic.stream} needs fromSequence >= 1 and maxBatch >= 1, got ${fromSequence} and ${maxBatch}`)
    : Effect.void

export class EventBus extends Context.Tag("corvus/EventBus")<EventBus, EventBusShape>() {}
