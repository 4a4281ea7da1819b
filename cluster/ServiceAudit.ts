// Audit of services (SPEC §7, Audit): a node records the services it started, and a correlator's
// rules deployed or reloaded through the control plane, as type 4 events of the main tenant.
import { Clock, Effect } from "effect"
import { randomUUID } from "node:crypto"
import { auditEvent } from "../model/AuditEvent.ts"
import type { TenantId } from "../model/Ids.ts"
import { EventStore } from "../storage/EventStore.ts"

export interface AuditedService {
  readonly id: string
  readonly kind: "collector" | "correlator" | "storage" | "gateway"
  readonly tenantId: TenantId
  readonly name: string
}

/** Writes one audit event per service; a store that fails is logged, never fails the action it records (that has happened). */
export const auditServices = (action: "service started" | "service reloaded", services: ReadonlyArray<AuditedService>, node: string, details: Readonly<Record<string, string>> = {}) =>
  Effect.gen(function* () {
    if (services.length === 0) return
    const at = yield* Clock.currentTimeMillis
    const store = yield* EventStore
    yield* store.write(
      services.map((service) =>
        auditEvent({
          id: randomUUID(),
          at,
          action,
          message: `${service.kind} ${service.name} (${service.id}) ${action === "service started" ? "started" : "reloaded"} on node ${node}`,
          subjectTenantId: service.tenantId,
          actor: "system",
          details: { serviceID: service.id, serviceKind: service.kind, node, ...details }
        })
      )
    )
  }).pipe(Effect.catchAll((error) => Effect.logError(`audit of ${action} could not be written`, error)))
