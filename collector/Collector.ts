// A collector service: its connector takes raw records, the normalizer turns them into events
// of the collector's tenant, and batches go to `publish` (the node wires it to the bus). Bad
// records are counted with samples and never stop the stream; accepted events stay buffered
// until the bus acknowledged them.
import { Effect, Schedule } from "effect"
import { randomUUID } from "node:crypto"
import type { CollectorSpec } from "../model/Collector.ts"
import type { NormalizedEvent } from "../model/Event.ts"
import * as Connector from "./connectors/Connector.ts"
import { compileNormalizer, type CompiledNormalizer, type NormalizeContext, type NormalizeResult } from "./normalizers/Normalizer.ts"
import type { InstallationTls } from "./tls/ServerTls.ts"

/** A bad record kept for the operator. */
export interface ErrorSample {
  readonly at: number
  readonly reason: string
  readonly sample: string
}

export interface CollectorStats {
  received: number
  published: number
  parseErrors: number
  oversize: number
  connectionErrors: number
  /** Records a paused UDP or NATS connector could not hold. */
  dropped: number
  readonly samples: Array<ErrorSample>
}

const MaxBatch = 1_000
const MaxSamples = 20
const SampleBytes = 1_024
/** Sockets pause above the high-water mark and resume below the low-water mark. */
const HighWater = 50_000
const LowWater = 10_000

/** A normalizer that throws has a bug; the record still becomes a counted error, not a crash. */
const normalizeSafely = (normalize: CompiledNormalizer, text: string, sourceAddress: string, context: NormalizeContext): NormalizeResult => {
  try {
    return normalize(text, sourceAddress, context)
  } catch (cause) {
    return { ok: false, reason: `normalizer failed: ${String(cause)}` }
  }
}

/** Where the installation's CA lives, for connectors with TLS. */
export interface CollectorOptions {
  readonly tls?: InstallationTls
}

/** Runs the collector for the scope's lifetime; returns its bound port and live counters. */
export const run = <E>(spec: CollectorSpec, publish: (batch: ReadonlyArray<NormalizedEvent>) => Effect.Effect<void, E>, options: CollectorOptions = {}) =>
  Effect.gen(function* () {
    const stats: CollectorStats = { received: 0, published: 0, parseErrors: 0, oversize: 0, connectionErrors: 0, dropped: 0, samples: [] }
    // Compiled once; the deployment's schema already refused what cannot compile.
    const normalize = compileNormalizer(spec.normalizer)
    // One context, its receipt time refreshed per record: nothing allocated per record for it.
    const context: { -readonly [K in keyof NormalizeContext]: NormalizeContext[K] } = {
      tenantId: spec.tenantId,
      collectorId: spec.id,
      collectorName: spec.name,
      receivedAt: 0,
      newId: randomUUID
    }
    const buffer: Array<NormalizedEvent> = []
    let paused = false
    const keepSample = (reason: string, sample: string) => {
      stats.samples.push({ at: Date.now(), reason, sample: sample.slice(0, SampleBytes) })
      if (stats.samples.length > MaxSamples) stats.samples.shift()
    }

    const flush = Effect.gen(function* () {
      while (buffer.length > 0) {
        // A batch leaves the buffer only once the bus took it: a failed or interrupted publish
        // leaves it for the next flush (the bus de-duplicates a repeat by event ID).
        const batch = buffer.slice(0, MaxBatch)
        const published = yield* publish(batch).pipe(
          Effect.as(true),
          Effect.catchAll((error) => Effect.logWarning(`collector ${spec.id}: publish failed, will retry`, error).pipe(Effect.as(false)))
        )
        if (!published) return
        buffer.splice(0, batch.length)
        stats.published += batch.length
        if (paused && buffer.length <= LowWater) {
          paused = false
          connector.resume()
        }
      }
    })
    // Finalizers run in reverse: the connector drains first (its peers' last records still come in
    // and are flushed on schedule), then the periodic flush stops, then the final flush publishes
    // everything the drain accepted.
    // At shutdown the bus may be briefly unavailable: keep trying for a while before giving up, loudly.
    const flushAll = flush.pipe(
      Effect.flatMap(() => (buffer.length === 0 ? Effect.void : Effect.fail("pending" as const))),
      Effect.retry(Schedule.exponential("50 millis").pipe(Schedule.upTo("30 seconds"))),
      Effect.catchAll(() => Effect.logError(`collector ${spec.id}: ${buffer.length} accepted events could not be published before shutdown`))
    )
    yield* Effect.addFinalizer(() => flushAll)
    yield* Effect.forkScoped(flush.pipe(Effect.repeat(Schedule.spaced("20 millis"))))
    const connector = yield* Connector.listen(spec.connector, {
      record: (text, sourceAddress) => {
        stats.received++
        context.receivedAt = Date.now()
        const result = normalizeSafely(normalize, text, sourceAddress, context)
        if (!result.ok) {
          stats.parseErrors++
          keepSample(result.reason, text)
          return
        }
        buffer.push(result.event)
        if (!paused && buffer.length >= HighWater) {
          paused = true
          connector.pause()
        }
      },
      oversize: (bytes) => {
        stats.oversize++
        keepSample(`record of ${bytes} bytes exceeds the 4 MB limit`, "")
      },
      connectionError: (cause) => {
        stats.connectionErrors++
        keepSample(`connection error: ${cause.message}`, "")
      },
      dropped: (records, reason) => {
        stats.dropped += records
        keepSample(`${records} records dropped: ${reason}`, "")
      }
    }, options)

    return { port: connector.port, stats }
  })
