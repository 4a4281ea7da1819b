// Services (SPEC §7): the collectors, correlators, storages and agents a tenant runs, with
// their pairing state, health and configuration.
import { Schema } from "effect"
import { TenantId } from "./Ids.ts"

/** A service; the same token shape as the other identifiers, so it is safe in subjects and keys. */
export const ServiceId = Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9_-]{1,64}$/), Schema.brand("ServiceId"))
export type ServiceId = typeof ServiceId.Type

export const ServiceKind = Schema.Literal("collector", "correlator", "storage", "agent")
export type ServiceKind = typeof ServiceKind.Type

export const ServiceStatus = Schema.Literal("green", "yellow", "red", "grey")
export type ServiceStatus = typeof ServiceStatus.Type

/** A service. Times are epoch milliseconds; `config` is any JSON value. */
export const Service = Schema.Struct({
  id: ServiceId,
  tenantID: TenantId,
  name: Schema.String,
  kind: ServiceKind,
  fqdn: Schema.optionalWith(Schema.String, { exact: true }),
  paired: Schema.Boolean,
  status: ServiceStatus,
  createdAt: Schema.Int,
  updatedAt: Schema.Int,
  config: Schema.Unknown
})
export type Service = typeof Service.Type
