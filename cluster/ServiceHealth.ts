// The health of the services a node runs (SPEC §7, KUMA's service status): every interval each
// service's counters are sampled and judged against the previous sample (red: it failed; yellow:
// errors or a stalled intake in the interval; green otherwise); a status that differs from the
// last one written is written and audited. A node that stops cleanly marks its services grey.
import { type Duration, Effect, type Scope } from "effect"
import type { ServiceStatus } from "../model/Service.ts"
import type { EventStore } from "../storage/EventStore.ts"
import type { ServiceStore } from "../storage/ServiceStore.ts"
import { changeStatus, type NodeService } from "./ServicePairing.ts"

/** What a service reports at one moment; every count is monotonic over the node's life. */
export interface HealthSample {
  /** The service does not run: it failed to start again after a restart. */
  readonly down: boolean
  /** Failures that lose or refuse work (a storage write that cannot succeed). */
  readonly failures: number
  /** Problems it recovers from (records that do not parse, connection errors, drops, retried writes). */
  readonly problems: number
  /** Work taken in and not yet handed on (a collector's accepted events not yet published). */
  readonly backlog: number
  /** Work handed on (events published, batches written). */
  readonly progress: number
}

/** The sample of a service that has done nothing yet. */
export const idleSample: HealthSample = { down: false, failures: 0, problems: 0, backlog: 0, progress: 0 }

/**
 * The status a service earned over the interval from `before` to `now`: red when it is down or
 * failed, yellow when it had problems or its backlog did not move (work held at both ends, none
 * handed on), green otherwise.
 */
export const evaluate = (before: HealthSample, now: HealthSample): Exclude<ServiceStatus, "grey"> => {
  if (now.down || now.failures > before.failures) return "red"
  if (now.problems > before.problems) return "yellow"
  if (before.backlog > 0 && now.backlog > 0 && now.progress === before.progress) return "yellow"
  return "green"
}

/** A service the node runs and how to sample it. */
export interface WatchedService {
  readonly service: NodeService
  readonly sample: () => HealthSample
}

export interface WatchOptions {
  readonly node: string
  readonly services: ReadonlyArray<WatchedService>
  /** How often the services are judged. */
  readonly every: Duration.DurationInput
  /**
   * Whether another live node may still run `service` when this one stops cleanly: a service that
   * several nodes run (a correlator everywhere) is not greyed by one of them leaving.
   */
  readonly runElsewhere: (service: NodeService) => Effect.Effect<boolean>
}

/**
 * Judges the services every interval for the scope's lifetime, writing each change (the pairing
 * left every one green); when the scope closes, marks grey those no other node runs.
 */
export const watch = (options: WatchOptions): Effect.Effect<void, never, ServiceStore | EventStore | Scope.Scope> =>
  Effect.gen(function* () {
    const previous = new Map(options.services.map((watched) => [watched.service.id, watched.sample()]))
    const written = new Map<string, ServiceStatus>(options.services.map((watched) => [watched.service.id, "green"]))
    const judge = Effect.forEach(
      options.services,
      (watched) =>
        Effect.suspend(() => {
          const now = watched.sample()
          const status = evaluate(previous.get(watched.service.id) ?? idleSample, now)
          previous.set(watched.service.id, now)
          if (written.get(watched.service.id) === status) return Effect.void
          written.set(watched.service.id, status)
          return changeStatus(watched.service, status, options.node)
        }),
      { discard: true }
    )
    yield* Effect.addFinalizer(() =>
      Effect.forEach(
        options.services,
        (watched) => Effect.flatMap(options.runElsewhere(watched.service), (elsewhere) => (elsewhere ? Effect.void : changeStatus(watched.service, "grey", options.node))),
        { discard: true }
      )
    )
    yield* Effect.sleep(options.every).pipe(Effect.zipRight(judge), Effect.forever, Effect.forkScoped)
  })
