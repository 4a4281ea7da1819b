// Tenants: the main tenant exists from install; the shared tenant holds readable-by-all resources.
import { Schema } from "effect"
import { TenantId } from "./Ids.ts"

/** A tenant as the API lists it. */
export const Tenant = Schema.Struct({
  id: TenantId,
  name: Schema.NonEmptyString,
  main: Schema.Boolean,
  /** Days its events are kept; whole days older than this are removed, and that is audited. Forever when absent. */
  retentionDays: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 36_500)), { exact: true })
})
export type Tenant = typeof Tenant.Type

/** The tenant created at install; its general administrators see every tenant. */
export const MainTenantId = TenantId.make("main")
/** The tenant whose resources every user may read. */
export const SharedTenantId = TenantId.make("shared")
