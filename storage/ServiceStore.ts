// The service store port: each tenant's collectors, correlators, storages and agents.
import { Context, Data, type Effect, type Option } from "effect"
import type { TenantId } from "../model/Ids.ts"
import type { Service, ServiceId, ServiceKind } from "../model/Service.ts"
import { statelessPattern } from "./StoreListing.ts"

export interface ServiceQuery {
  readonly tenantIds: ReadonlyArray<TenantId>
  readonly ids: ReadonlyArray<ServiceId>
  /** Case-insensitive regular expression on the service name. */
  readonly name?: RegExp
  readonly kinds: ReadonlyArray<ServiceKind>
  /** Case-insensitive regular expression on the FQDN; a service without one does not pass. */
  readonly fqdn?: RegExp
  /** Only paired (true) or only unpaired (false) services; both when absent. */
  readonly paired?: boolean
  /** Pages count from 1. */
  readonly page: number
  readonly pageSize: number
}

export class ServiceStoreError extends Data.TaggedError("ServiceStoreError")<{ readonly message: string; readonly cause?: unknown }> {}

export interface ServiceStoreShape {
  /** Inserts or replaces the service. */
  readonly save: (service: Service) => Effect.Effect<void, ServiceStoreError>
  /** The tenant's service with this id; another tenant's reads as missing. */
  readonly get: (tenantId: TenantId, id: ServiceId) => Effect.Effect<Option.Option<Service>, ServiceStoreError>
  /** Services ordered by name (case-insensitive), then id. */
  readonly list: (query: ServiceQuery) => Effect.Effect<ReadonlyArray<Service>, ServiceStoreError>
  /** Deletes the tenant's service and answers whether there was one. */
  readonly delete: (tenantId: TenantId, id: ServiceId) => Effect.Effect<boolean, ServiceStoreError>
}

export class ServiceStore extends Context.Tag("corvus/ServiceStore")<ServiceStore, ServiceStoreShape>() {}

/** Orders services by name ignoring case, then by name, then by id, the same way in every backend. */
export const serviceOrder = (a: Service, b: Service): number =>
  compareStrings(a.name.toLowerCase(), b.name.toLowerCase()) || compareStrings(a.name, b.name) || compareStrings(a.id, b.id)

/** Whether a service passes the query's filters. */
export const serviceMatches = (query: ServiceQuery): ((service: Service) => boolean) => {
  const tenants = new Set<string>(query.tenantIds)
  const ids = new Set<string>(query.ids)
  const kinds = new Set<string>(query.kinds)
  const name = query.name === undefined ? undefined : statelessPattern(query.name)
  const fqdn = query.fqdn === undefined ? undefined : statelessPattern(query.fqdn)
  return (service) =>
    tenants.has(service.tenantID) &&
    (ids.size === 0 || ids.has(service.id)) &&
    (kinds.size === 0 || kinds.has(service.kind)) &&
    (query.paired === undefined || service.paired === query.paired) &&
    (name === undefined || name.test(service.name)) &&
    (fqdn === undefined || (service.fqdn !== undefined && fqdn.test(service.fqdn)))
}

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
