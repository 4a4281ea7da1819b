// The asset category store port: each tenant's asset categories, their parent links and list filters.
import { Context, Data, type Effect, type Option } from "effect"
import type { AssetCategory, AssetCategoryId } from "../model/AssetCategory.ts"
import type { TenantId } from "../model/Ids.ts"
import { statelessPattern, uuidKey } from "./StoreListing.ts"

export interface AssetCategoryQuery {
  readonly tenantIds: ReadonlyArray<TenantId>
  readonly ids: ReadonlyArray<AssetCategoryId>
  /** Case-insensitive regular expression on the category name. */
  readonly name?: RegExp
  /** Only the children of these categories; any category when absent. */
  readonly parentIds?: ReadonlyArray<AssetCategoryId>
  /** Pages count from 1. */
  readonly page: number
  readonly pageSize: number
}

export class AssetCategoryStoreError extends Data.TaggedError("AssetCategoryStoreError")<{ readonly message: string; readonly cause?: unknown }> {}

export interface AssetCategoryStoreShape {
  /** Inserts or replaces the category. */
  readonly save: (category: AssetCategory) => Effect.Effect<void, AssetCategoryStoreError>
  /** The tenant's category with this id (any spelling of the UUID); another tenant's reads as missing. */
  readonly get: (tenantId: TenantId, id: AssetCategoryId) => Effect.Effect<Option.Option<AssetCategory>, AssetCategoryStoreError>
  /** Categories ordered by name (case-insensitive), then id. */
  readonly list: (query: AssetCategoryQuery) => Effect.Effect<ReadonlyArray<AssetCategory>, AssetCategoryStoreError>
  /** Deletes the tenant's category and answers whether there was one. */
  readonly delete: (tenantId: TenantId, id: AssetCategoryId) => Effect.Effect<boolean, AssetCategoryStoreError>
}

export class AssetCategoryStore extends Context.Tag("corvus/AssetCategoryStore")<AssetCategoryStore, AssetCategoryStoreShape>() {}

/** Orders categories by name ignoring case, then by name, then by id, the same way in every backend. */
export const assetCategoryOrder = (a: AssetCategory, b: AssetCategory): number =>
  compareStrings(a.name.toLowerCase(), b.name.toLowerCase()) || compareStrings(a.name, b.name) || compareStrings(uuidKey(a.id), uuidKey(b.id))

/** Whether a category passes the query's filters. */
export const assetCategoryMatches = (query: AssetCategoryQuery): ((category: AssetCategory) => boolean) => {
  const tenants = new Set<string>(query.tenantIds)
  const ids = new Set(query.ids.map(uuidKey))
  const parents = query.parentIds === undefined ? undefined : new Set(query.parentIds.map(uuidKey))
  const name = query.name === undefined ? undefined : statelessPattern(query.name)
  return (category) =>
    tenants.has(category.tenantID) &&
    (ids.size === 0 || ids.has(uuidKey(category.id))) &&
    (parents === undefined || (category.parentID !== undefined && parents.has(uuidKey(category.parentID)))) &&
    (name === undefined || name.test(category.name))
}

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
