// Asset categories (SPEC §7, as in KUMA): a tenant's named groups of assets, e.g. "Domain
// controllers", each with a priority and an optional parent category of the same tenant.
import { Schema } from "effect"
import { TenantId } from "./Ids.ts"

/** An asset category. */
export const AssetCategoryId = Schema.UUID.pipe(Schema.brand("AssetCategoryId"))
export type AssetCategoryId = typeof AssetCategoryId.Type

/** How much the assets of a category matter (KUMA's category criticality). */
export const AssetCategoryPriority = Schema.Literal("low", "medium", "high")
export type AssetCategoryPriority = typeof AssetCategoryPriority.Type

/** An asset category. `parentID` names a category of the same tenant; times are epoch milliseconds. */
export const AssetCategory = Schema.Struct({
  id: AssetCategoryId,
  tenantID: TenantId,
  name: Schema.String,
  priority: AssetCategoryPriority,
  parentID: Schema.optionalWith(AssetCategoryId, { exact: true }),
  createdAt: Schema.Int,
  updatedAt: Schema.Int
})
export type AssetCategory = typeof AssetCategory.Type
