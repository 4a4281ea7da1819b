// The asset store port: each tenant's assets, their identity for import, and list filters.
import { Context, Data, type Effect, type Option } from "effect"
import type { Asset, AssetId } from "../model/Asset.ts"
import type { TenantId } from "../model/Ids.ts"
import { statelessPattern, uuidKey } from "./StoreListing.ts"

export interface AssetQuery {
  readonly tenantIds: ReadonlyArray<TenantId>
  readonly ids: ReadonlyArray<AssetId>
  /** Case-insensitive regular expressions; an asset passes the ip and mac ones when any of its addresses does. */
  readonly name?: RegExp
  readonly fqdn?: RegExp
  readonly ip?: RegExp
  readonly mac?: RegExp
  /** Pages count from 1. */
  readonly page: number
  readonly pageSize: number
}

/** What an imported record says about which asset it is. */
export interface AssetIdentity {
  readonly fqdn?: string
  readonly ip?: string
}

export class AssetStoreError extends Data.TaggedError("AssetStoreError")<{ readonly message: string; readonly cause?: unknown }> {}

export interface AssetStoreShape {
  /** Inserts or replaces the asset. */
  readonly save: (asset: Asset) => Effect.Effect<void, AssetStoreError>
  /** The tenant's asset with this id; another tenant's reads as missing. */
  readonly get: (tenantId: TenantId, id: AssetId) => Effect.Effect<Option.Option<Asset>, AssetStoreError>
  /**
   * The tenant's asset with this identity: the same FQDN (case-insensitive) when one is given,
   * else the same first IP address; the earliest created wins if several match.
   */
  readonly findByIdentity: (tenantId: TenantId, identity: AssetIdentity) => Effect.Effect<Option.Option<Asset>, AssetStoreError>
  /** Assets ordered by name (case-insensitive), then id. */
  readonly list: (query: AssetQuery) => Effect.Effect<ReadonlyArray<Asset>, AssetStoreError>
  /** Deletes the tenant's assets with these ids and answers how many there were. */
  readonly delete: (tenantId: TenantId, ids: ReadonlyArray<AssetId>) => Effect.Effect<number, AssetStoreError>
}

export class AssetStore extends Context.Tag("corvus/AssetStore")<AssetStore, AssetStoreShape>() {}

/** The key an FQDN is matched by; empty means none. */
export const fqdnKey = (fqdn: string | undefined): string | undefined =>
  fqdn === undefined || fqdn === "" ? undefined : fqdn.toLowerCase()

/** The key an IP-only identity is matched by: the first address, if any. */
export const firstIpOf = (asset: Asset): string | undefined => asset.ipAddresses[0]

/** Orders assets by name ignoring case, then by name, then by id, the same way in every backend. */
export const assetOrder = (a: Asset, b: Asset): number =>
  compareStrings(a.name.toLowerCase(), b.name.toLowerCase()) || compareStrings(a.name, b.name) || compareStrings(uuidKey(a.id), uuidKey(b.id))

/** Orders identity matches so that the earliest created asset comes first. */
export const identityPreference = (a: Asset, b: Asset): number => a.createdAt - b.createdAt || compareStrings(uuidKey(a.id), uuidKey(b.id))

/** Whether an asset passes the query's filters. */
export const assetMatches = (query: AssetQuery): ((asset: Asset) => boolean) => {
  const tenants = new Set<string>(query.tenantIds)
  const ids = new Set(query.ids.map(uuidKey))
  const name = query.name === undefined ? undefined : statelessPattern(query.name)
  const fqdn = query.fqdn === undefined ? undefined : statelessPattern(query.fqdn)
  const ip = query.ip === undefined ? undefined : statelessPattern(query.ip)
  const mac = query.mac === undefined ? undefined : statelessPattern(query.mac)
  return (asset) =>
    tenants.has(asset.tenantID) &&
    (ids.size === 0 || ids.has(uuidKey(asset.id))) &&
    (name === undefined || name.test(asset.name)) &&
    (fqdn === undefined || (asset.fqdn !== undefined && fqdn.test(asset.fqdn))) &&
    (ip === undefined || asset.ipAddresses.some((address) => ip.test(address))) &&
    (mac === undefined || asset.macAddresses.some((address) => mac.test(address)))
}

/** Whether the query has a filter only JavaScript can evaluate. */
export const hasPatterns = (query: AssetQuery): boolean =>
  query.name !== undefined || query.fqdn !== undefined || query.ip !== undefined || query.mac !== undefined

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
