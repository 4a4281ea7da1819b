// Runs one correlator on this node: a durable consumer of its sources feeds the engine in
// stream order, and the correlations are published before the batch is acknowledged.
// (Partitioning, leases, checkpoints, clock ticks without traffic, forwarding to other
// correlators and storing service events arrive with the cluster issue; this runs it whole.)
import { Effect } from "effect"
import { CorrelatorEngine } from "../actors/CorrelatorEngine.ts"
import type { CorrelatorSpec } from "../model/Rule.ts"
import { EventBus } from "./EventBus.ts"
import { Topics } from "./Topics.ts"

export const start = (spec: CorrelatorSpec) =>
  Effect.gen(function* () {
    const bus = yield* EventBus
    const topics = yield* Topics
    const engine = new CorrelatorEngine(spec)
    const stats = yield* bus.consume(
      topics.events,
      { durable: topics.durables.correlator(spec.id), filterSubjects: spec.sources.map(topics.sourceSubject), maxBatch: 500 },
      (batch) =>
        Effect.gen(function* () {
          // Windows end and list records expire as stream time passes (the engine's own timers).
          const output = engine.processBatch(batch.map((record) => record.event))
          yield* bus.publish(topics.correlations, output.correlations)
        })
    )
    return { engine, stats }
  })
