// Pairing and status of the services a node runs (SPEC §7, KUMA's services): a service created in
// the console (POST /services) becomes paired when a node starts a service with its id; a service
// with no record gets one, paired. Its status (green, yellow, red, grey) is written here when it
// changes. Each change is audited: "service paired" once per service, "service status changed"
// with from and to.
import { Clock, Effect, Option } from "effect"
import type { TenantId } from "../model/Ids.ts"
import { ServiceId, type Service, type ServiceStatus } from "../model/Service.ts"
import { ServiceStore } from "../storage/ServiceStore.ts"
import { auditServices } from "./ServiceAudit.ts"

/** A service a node runs, as the service store and the audit know it. */
export interface NodeService {
  readonly id: ServiceId
  readonly tenantId: TenantId
  readonly kind: "collector" | "correlator" | "storage"
  readonly name: string
}

const ServiceIdPattern = /^[A-Za-z0-9_-]{1,64}$/

/** The id of a node's storage writer: `storage-<node>`, with characters a service id cannot hold replaced. */
export const storageServiceId = (nodeId: string): ServiceId => {
  const id = `storage-${nodeId.replace(/[^A-Za-z0-9_-]/g, "-")}`.slice(0, 64)
  return ServiceId.make(ServiceIdPattern.test(id) ? id : "storage")
}

const audited = (service: NodeService) => ({ id: service.id, kind: service.kind, tenantId: service.tenantId, name: service.name })

/**
 * Marks the service paired and green in its tenant's store, creating its record when there is
 * none. "service paired" is audited only when paired flips to true; a paired service that starts
 * again only has its status set (audited as a status change when it was not green).
 */
export const pair = (service: NodeService, node: string) =>
  Effect.gen(function* () {
    const store = yield* ServiceStore
    const now = yield* Clock.currentTimeMillis
    const existing = yield* store.get(service.tenantId, service.id)
    if (Option.isNone(existing)) {
      const created: Service = { id: service.id, tenantID: service.tenantId, name: service.name, kind: service.kind, paired: true, status: "green", createdAt: now, updatedAt: now, config: {} }
      yield* store.save(created)
      yield* auditServices("service paired", [audited(service)], node, { created: "true" })
      return
    }
    const record = existing.value
    if (record.paired) {
      if (record.status === "green") return
      yield* store.save({ ...record, status: "green", updatedAt: now })
      yield* auditServices("service status changed", [audited(service)], node, { from: record.status, to: "green" })
      return
    }
    yield* store.save({ ...record, paired: true, status: "green", updatedAt: now })
    yield* auditServices("service paired", [audited(service)], node, { created: "false" })
  }).pipe(Effect.catchAll((error) => Effect.logError(`service ${service.id} could not be paired`, error)))

/** Pairs every service the node started. */
export const pairAll = (services: ReadonlyArray<NodeService>, node: string) => Effect.forEach(services, (service) => pair(service, node), { discard: true })

/**
 * Writes the service's new status when its record holds another one, audited with from and to.
 * A record deleted meanwhile stays deleted (the node pairs it again when it next starts).
 */
export const changeStatus = (service: NodeService, status: ServiceStatus, node: string) =>
  Effect.gen(function* () {
    const store = yield* ServiceStore
    const existing = yield* store.get(service.tenantId, service.id)
    if (Option.isNone(existing) || existing.value.status === status) return
    const now = yield* Clock.currentTimeMillis
    yield* store.save({ ...existing.value, status, updatedAt: now })
    yield* auditServices("service status changed", [audited(service)], node, { from: existing.value.status, to: status })
  }).pipe(Effect.catchAll((error) => Effect.logError(`status ${status} of service ${service.id} could not be written`, error)))
