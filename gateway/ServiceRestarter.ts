// The gateway's port to restart a running service (SPEC §7, "service restarted"): the cluster
// provides the production implementation (it asks the nodes that run the service over the
// control plane); the in-memory one stands in for it in route tests.
import { Data, Effect } from "effect"
import type { TenantId } from "../model/Ids.ts"
import type { ServiceId, ServiceKind } from "../model/Service.ts"
import type { ApiContext } from "./ApiContext.ts"

/** What to restart, and who asked (named in the audit event the node writes). */
export interface RestartRequest {
  readonly serviceId: ServiceId
  readonly tenantId: TenantId
  readonly kind: ServiceKind
  readonly requestedBy: string
}

/** The nodes that restarted the service; each audited "service restarted" once it ran again. */
export interface RestartOutcome {
  readonly nodes: ReadonlyArray<string>
}

/** No live node runs the service: nothing to restart (the client sees a 409). */
export class ServiceNotRunning extends Data.TaggedError("ServiceNotRunning")<{ readonly serviceId: string }> {}

/** A node could not be reached or the service did not start again; the client sees a 503 without the cause. */
export class ServiceRestartError extends Data.TaggedError("ServiceRestartError")<{ readonly message: string; readonly cause?: unknown }> {}

export interface ServiceRestarterShape {
  /** Restarts the service wherever it runs; answers once it runs again. */
  readonly restart: (request: RestartRequest) => Effect.Effect<RestartOutcome, ServiceNotRunning | ServiceRestartError>
}

/** A service the in-memory restarter runs, on one node. */
export interface MemoryService {
  readonly id: string
  readonly tenantID: TenantId
  readonly node: string
}

/** The in-memory restarter with the restarts it performed, so tests can read them. */
export interface MemoryServiceRestarter extends ServiceRestarterShape {
  readonly restarts: ReadonlyArray<RestartRequest>
}

/** Runs `services` in memory; a restart of one of them is recorded, any other id is not running. */
export const makeMemory = (services: ReadonlyArray<MemoryService>): MemoryServiceRestarter => {
  const restarts: Array<RestartRequest> = []
  return {
    restarts,
    restart: (request) =>
      Effect.suspend(() => {
        const nodes = services.filter((service) => service.id === request.serviceId && service.tenantID === request.tenantId).map((service) => service.node)
        if (nodes.length === 0) return Effect.fail(new ServiceNotRunning({ serviceId: request.serviceId }))
        restarts.push(request)
        return Effect.succeed({ nodes })
      })
  }
}

/** Where no cluster is wired to the gateway: no service runs anywhere. */
export const noServices: ServiceRestarterShape = {
  restart: (request) => Effect.fail(new ServiceNotRunning({ serviceId: request.serviceId }))
}

/** The restarter the API server was given, or `noServices`. */
export const serviceRestarterOf = (context: ApiContext): ServiceRestarterShape => context.serviceRestarter ?? noServices
