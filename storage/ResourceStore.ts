// The resource store port: resources owned by one tenant each, read only through the tenants
// the caller holds; a resource in another tenant answers exactly as a missing one.
import { Context, Data, type Effect, type Option } from "effect"
import type { TenantId } from "../model/Ids.ts"
import type { Resource, ResourceId, ResourceKind } from "../model/Resource.ts"
import type { UserId } from "../model/User.ts"
import { statelessPattern } from "./StoreListing.ts"

export interface ResourceQuery {
  /** The caller's visible tenants; empty selects nothing. */
  readonly tenantIds: ReadonlyArray<TenantId>
  readonly ids: ReadonlyArray<ResourceId>
  readonly kinds: ReadonlyArray<ResourceKind>
  /** Regular expression on the name; the caller decides case sensitivity. */
  readonly name?: RegExp
  readonly userID?: UserId
  /** Pages count from 1. */
  readonly page: number
  readonly pageSize: number
}

/** Storage infrastructure failure; `transient` says whether a retry may succeed. */
export class ResourceStoreError extends Data.TaggedError("ResourceStoreError")<{
  readonly message: string
  readonly cause?: unknown
  readonly transient?: boolean
}> {}

export interface ResourceStoreShape {
  /** Inserts or replaces the resource; (tenant, id) names it, since the tenant never changes. */
  readonly save: (resource: Resource) => Effect.Effect<void, ResourceStoreError>
  /** The resource with this id in one of `tenantIds` (the first of them that has it). */
  readonly get: (tenantIds: ReadonlyArray<TenantId>, id: ResourceId) => Effect.Effect<Option.Option<Resource>, ResourceStoreError>
  /** One page of resources, ordered by name, then tenant, then id. */
  readonly list: (query: ResourceQuery) => Effect.Effect<ReadonlyArray<Resource>, ResourceStoreError>
  /** Removes the tenant's resource; false when the tenant has no such resource. */
  readonly delete: (tenantId: TenantId, id: ResourceId) => Effect.Effect<boolean, ResourceStoreError>
}

export class ResourceStore extends Context.Tag("corvus/ResourceStore")<ResourceStore, ResourceStoreShape>() {}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** The page of `resources` that `query` selects, in list order; every backend filters through this. */
export const selectResources = (resources: Iterable<Resource>, query: ResourceQuery): Array<Resource> => {
  const tenants = new Set<string>(query.tenantIds)
  const ids = new Set<string>(query.ids)
  const kinds = new Set<string>(query.kinds)
  // A global or sticky pattern keeps state between `test` calls; a copy without those flags does not.
  const name = query.name === undefined ? undefined : statelessPattern(query.name)
  const selected = [...resources].filter(
    (resource) =>
      tenants.has(resource.tenantID) &&
      (ids.size === 0 || ids.has(resource.id)) &&
      (kinds.size === 0 || kinds.has(resource.kind)) &&
      (query.userID === undefined || resource.userID === query.userID) &&
      (name === undefined || name.test(resource.name))
  )
  selected.sort((a, b) => compareText(a.name, b.name) || compareText(a.tenantID, b.tenantID) || compareText(a.id, b.id))
  const offset = (query.page - 1) * query.pageSize
  return offset < 0 || query.pageSize <= 0 ? [] : selected.slice(offset, offset + query.pageSize)
}
