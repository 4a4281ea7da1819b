// Audit of services (SPEC §7, Audit): a node records the services it started, paired, restarted,
// whose status changed, and a correlator's rules deployed or reloaded through the control plane,
// as type 4 events of the main tenant.
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

/** The audited service actions, as SPEC §7 words them. */
export type ServiceAction = "service started" | "service reloaded" | "service paired" | "service restarted" | "service status changed"

const pastTense: Record<ServiceAction, string> = {
  "service started": "started",
  "service reloaded": "reloaded",
  "service paired": "paired",
  "service restarted": "restarted",
  "service status changed": "changed status"
}

/**
 * Writes one audit event per service, by `actor` (a user's login, or `system`); a store that
 * fails is logged, never fails the action it records (that has happened).
 */
export const auditServices = (
  action: ServiceAction,
  services: ReadonlyArray<AuditedService>,
  node: string,
  details: Readonly<Record<string, string>> = {},
  actor = "system"
) =>
  Effect.gen(function* () {
    if (services.length === 0) return
    const at = yield* Clock.currentTimeMillis
    const store = yield* EventStore
    const change = details.from !== undefined && details.to !== undefined ? ` from ${details.from} to ${details.to}` : ""
    yield* store.write(
      services.map((service) =>
        auditEvent({
          id: randomUUID(),
          at,
          action,
          message: `${service.kind} ${service.name} (${service.id}) ${pastTense[action]}${change} on node ${node}`,
          subjectTenantId: service.tenantId,
          actor,
          details: { serviceID: service.id, serviceKind: service.kind, node, ...details }
        })
      )
    )
  }).pipe(Effect.catchAll((error) => Effect.logError(`audit of ${action} could not be written`, error)))
