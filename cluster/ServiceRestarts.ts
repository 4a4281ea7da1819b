// Restarting the services a node runs (SPEC §7, "service restarted"; the control plane's
// RestartService): a collector or a storage writer runs in a scope of its own that a restart closes
// and opens again (a collector on the port it had bound), a correlator reloads its rules. Once the
// service runs again the restart is audited, by the user who asked.
import { Data, Effect, ExecutionStrategy, Exit, Scope } from "effect"
import { EventStore } from "../storage/EventStore.ts"
import { auditServices } from "./ServiceAudit.ts"
import type { NodeService } from "./ServicePairing.ts"

/** The answering node runs no service with that id owned by that tenant. */
export class ServiceNotRunHere extends Data.TaggedError("ServiceNotRunHere")<{ readonly serviceId: string }> {
  override get message(): string {
    return `this node runs no service ${this.serviceId}`
  }
}

/** The service was stopped for a restart and did not start again (it is down until a restart succeeds). */
export class ServiceRestartFailed extends Data.TaggedError("ServiceRestartFailed")<{ readonly serviceId: string; readonly reason: string; readonly cause?: unknown }> {
  override get message(): string {
    return `service ${this.serviceId} did not start again: ${this.reason}`
  }
}

/** A service in a scope of its own, which a restart closes and opens again. */
export interface Restartable<A> {
  /** Every run of the service, the current one last: counters add up over restarts. */
  readonly instances: () => ReadonlyArray<A>
  /** Whether the last restart failed, leaving the service stopped. */
  readonly down: () => boolean
  /** Stops the service (its finalizers run: a collector drains and flushes) and starts it again. */
  readonly restart: Effect.Effect<void, ServiceRestartFailed>
}

/**
 * Starts the service in a child scope of the current one; `start` is given the previous run on a
 * restart (a collector reopens the port it had bound). Restarts run one at a time.
 */
export const restartable = <A, E, R>(
  serviceId: string,
  start: (previous: A | undefined) => Effect.Effect<A, E, R | Scope.Scope>
): Effect.Effect<Restartable<A>, E, Exclude<R, Scope.Scope> | Scope.Scope> =>
  Effect.gen(function* () {
    const outer = yield* Effect.scope
    const context = yield* Effect.context<Exclude<R, Scope.Scope>>()
    const lock = yield* Effect.makeSemaphore(1)
    let scope = yield* Scope.fork(outer, ExecutionStrategy.sequential)
    const first = yield* start(undefined).pipe(Scope.extend(scope), Effect.provide(context))
    const instances: Array<A> = [first]
    let running = true
    // Uninterruptible: a caller that stops waiting must not leave the service half closed.
    const restart = lock.withPermits(1)(
      Effect.uninterruptible(
        Effect.gen(function* () {
          const previous = instances[instances.length - 1]
          running = false
          yield* Scope.close(scope, Exit.void)
          scope = yield* Scope.fork(outer, ExecutionStrategy.sequential)
          // Started interruptible, as at first: fibers it forks (a collector's flush loop) inherit
          // that, and a scope closing later must be able to interrupt them.
          const started = yield* Effect.exit(start(previous).pipe(Scope.extend(scope), Effect.provide(context), Effect.interruptible))
          if (Exit.isFailure(started)) {
            yield* Scope.close(scope, Exit.void)
            return yield* new ServiceRestartFailed({ serviceId, reason: "it could not start again (see the node's log)", cause: started.cause })
          }
          instances.push(started.value)
          running = true
        })
      )
    )
    return { instances: () => instances, down: () => !running, restart }
  })

/** A service the node can restart, and how. */
export interface RestartTarget {
  readonly service: NodeService
  readonly restart: Effect.Effect<void, ServiceRestartFailed>
}

/** What RestartService asks: the service, its owner tenant and who asked. */
export interface RestartServiceRequest {
  readonly serviceId: string
  readonly tenantId: string
  /** A user's login; empty for the system. */
  readonly requestedBy: string
}

/** Where RestartService is answered from. */
export type ServiceRestartSource = (request: RestartServiceRequest) => Effect.Effect<{ readonly nodeId: string; readonly kind: NodeService["kind"] }, ServiceNotRunHere | ServiceRestartFailed>

/** Restarts the node's targets by id and tenant, auditing "service restarted" once the service runs again. */
export const restarts = (node: string, targets: ReadonlyArray<RestartTarget>): Effect.Effect<ServiceRestartSource, never, EventStore> =>
  Effect.map(EventStore, (events) => (request) =>
    Effect.gen(function* () {
      const target = targets.find(({ service }) => service.id === request.serviceId && service.tenantId === request.tenantId)
      if (target === undefined) return yield* new ServiceNotRunHere({ serviceId: request.serviceId })
      yield* target.restart
      const { service } = target
      yield* auditServices("service restarted", [{ id: service.id, kind: service.kind, tenantId: service.tenantId, name: service.name }], node, {}, request.requestedBy === "" ? "system" : request.requestedBy).pipe(
        Effect.provideService(EventStore, events)
      )
      return { nodeId: node, kind: service.kind }
    })
  )
