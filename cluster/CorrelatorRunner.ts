// Runs one correlator on this node: a durable consumer of its sources feeds the engine in
// stream order, and the correlations are published before the batch is acknowledged.
// (Partitioning, leases and checkpoints arrive with the cluster issue; this runs it whole.)
import { Effect } from "effect"
import { CorrelatorEngine } from "../actors/CorrelatorEngine.ts"
import type { CorrelatorSpec } from "../model/Rule.ts"
import { EventBus } from "./EventBus.ts"
import { Topics } from "./Topics.ts"

/** How far stream time moves between passivation sweeps. */
const SweepEveryMillis = 1_000

export const start = (spec: CorrelatorSpec) =>
  Effect.gen(function* () {
    const bus = yield* EventBus
    const topics = yield* Topics
    const engine = new CorrelatorEngine(spec)
    let sweptAt = Number.NEGATIVE_INFINITY
    const stats = yield* bus.consume(
      topics.events,
      { durable: topics.durables.correlator(spec.id), filterSubjects: spec.sources.map(topics.sourceSubject), maxBatch: 500 },
      (batch) =>
        Effect.gen(function* () {
          const correlations = engine.processBatch(batch.map((record) => record.event))
          if (engine.streamTime - sweptAt >= SweepEveryMillis) {
            engine.advanceTo(engine.streamTime)
            sweptAt = engine.streamTime
          }
          yield* bus.publish(topics.correlations, correlations)
        })
    )
    return { engine, stats }
  })
