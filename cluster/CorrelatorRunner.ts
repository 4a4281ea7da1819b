// Runs one correlator on this node: a durable consumer of its sources feeds the engine in
// stream order, and the correlations are published before the batch is acknowledged.
// (Partitioning, leases and checkpoints arrive with the cluster issue; this runs it whole.)
import { Effect } from "effect"
import { CorrelatorEngine } from "../actors/CorrelatorEngine.ts"
import type { CorrelatorSpec } from "../model/Rule.ts"
import { EventBus } from "./EventBus.ts"
import { CorrelationsTopic, Durables, EventsTopic, sourceSubject } from "./Topics.ts"

/** How far stream time moves between passivation sweeps. */
const SweepEveryMillis = 1_000

export const start = (spec: CorrelatorSpec) =>
  Effect.gen(function* () {
    const bus = yield* EventBus
    const engine = new CorrelatorEngine(spec)
    let sweptAt = Number.NEGATIVE_INFINITY
    const stats = yield* bus.consume(
      EventsTopic,
      { durable: Durables.correlator(spec.id), filterSubjects: spec.sources.map(sourceSubject), maxBatch: 500 },
      (batch) =>
        Effect.gen(function* () {
          const correlations = engine.processBatch(batch.map((record) => record.event))
          if (engine.streamTime - sweptAt >= SweepEveryMillis) {
            engine.advanceTo(engine.streamTime)
            sweptAt = engine.streamTime
          }
          yield* bus.publish(CorrelationsTopic, correlations)
        })
    )
    return { engine, stats }
  })
