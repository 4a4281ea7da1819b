// Resources (rules, correlators, collectors and their parts) as the API lists them, and the
// exported resource files kept for download or import.
import { Schema } from "effect"
import { TenantId } from "./Ids.ts"
import { UserId } from "./User.ts"

export const ResourceKind = Schema.Literal(
  "correlationRule",
  "correlator",
  "collector",
  "normalizer",
  "activeList",
  "filter",
  "dictionary",
  "connector",
  "destination",
  "storage",
  "agent"
)
export type ResourceKind = typeof ResourceKind.Type

/** Identifies a resource; together with its tenant, which never changes, it names one object. */
export const ResourceId = Schema.UUID.pipe(Schema.brand("ResourceId"))
export type ResourceId = typeof ResourceId.Type

/** Identifies an exported resource file. */
export const ResourceFileId = Schema.UUID.pipe(Schema.brand("ResourceFileId"))
export type ResourceFileId = typeof ResourceFileId.Type

/** A resource. Times are epoch milliseconds; `body` is the kind's JSON document. */
export const Resource = Schema.Struct({
  id: ResourceId,
  tenantID: TenantId,
  kind: ResourceKind,
  name: Schema.String,
  /** The user who last changed it. */
  userID: UserId,
  description: Schema.optionalWith(Schema.String, { exact: true }),
  version: Schema.Int,
  createdAt: Schema.Int,
  updatedAt: Schema.Int,
  body: Schema.Unknown
})
export type Resource = typeof Resource.Type

/** An exported resource archive: opaque bytes (already encrypted by the exporter) until it expires. */
export const ResourceFile = Schema.Struct({
  id: ResourceFileId,
  userID: UserId,
  tenantID: TenantId,
  createdAt: Schema.Int,
  expiresAt: Schema.Int,
  bytes: Schema.Uint8ArrayFromSelf
})
export type ResourceFile = typeof ResourceFile.Type
