// Assets (SPEC §7): the hosts a tenant knows, identified on import by FQDN or else by first IP.
import { Schema } from "effect"
import { TenantId } from "./Ids.ts"

/** An asset. */
export const AssetId = Schema.UUID.pipe(Schema.brand("AssetId"))
export type AssetId = typeof AssetId.Type

/** An asset. Times are epoch milliseconds. */
export const Asset = Schema.Struct({
  id: AssetId,
  tenantID: TenantId,
  name: Schema.String,
  fqdn: Schema.optionalWith(Schema.String, { exact: true }),
  ipAddresses: Schema.Array(Schema.String),
  macAddresses: Schema.Array(Schema.String),
  owner: Schema.optionalWith(Schema.String, { exact: true }),
  os: Schema.optionalWith(Schema.String, { exact: true }),
  categories: Schema.Array(Schema.String),
  createdAt: Schema.Int,
  updatedAt: Schema.Int
})
export type Asset = typeof Asset.Type
