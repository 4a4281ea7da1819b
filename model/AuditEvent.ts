// Audit events (SPEC §7, Audit): type 4 events in the main tenant, one per audited action, so
// `SELECT ... FROM events WHERE Type = 4` finds them like any other event.
import { EventType, type NormalizedEvent } from "./Event.ts"
import type { TenantId } from "./Ids.ts"
import { MainTenantId } from "./Tenant.ts"

/** What happened, for whom, and the details an auditor reads. */
export interface AuditFacts {
  readonly id: string
  readonly at: number
  /** A stable action name, e.g. `storage partition deleted on expiry`. */
  readonly action: string
  readonly message: string
  /** The tenant the action concerned, when not the main tenant itself. */
  readonly subjectTenantId?: TenantId
  /** Who did it: a user login, or `system` for Corvus itself. */
  readonly actor: string
  readonly details?: Readonly<Record<string, string>>
}

/** The type 4 event recording `facts`, owned by the main tenant. */
export const auditEvent = (facts: AuditFacts): NormalizedEvent => ({
  ID: facts.id,
  Timestamp: facts.at,
  ReceiptTime: facts.at,
  TenantID: MainTenantId,
  Type: EventType.Audit,
  DeviceVendor: "Corvus",
  DeviceProduct: "Corvus",
  DeviceEventCategory: "Audit",
  Name: facts.action,
  DeviceAction: facts.action,
  Message: facts.message,
  SourceUserName: facts.actor,
  ...(facts.subjectTenantId !== undefined ? { DestinationNtDomain: facts.subjectTenantId } : {}),
  Extra: { ...(facts.details ?? {}), ...(facts.subjectTenantId !== undefined ? { tenantID: facts.subjectTenantId } : {}) }
})
