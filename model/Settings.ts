// Per-tenant settings (SPEC §5, §7 "settings updated"): what a tenant administrator tunes for
// their tenant. Today the incidents section: automatic linking of new alerts to open incidents.
import { Schema } from "effect"
import { TenantId } from "./Ids.ts"

/** The longest automatic-linking window, as the node-wide CORVUS_INCIDENT_AUTOLINK_DAYS allows. */
export const MaxAutoLinkDays = 3650

/** Automatic linking: whether a new alert joins an open incident sharing an asset or account, and how many days back. */
export const AutoLinkSettings = Schema.Struct({
  enabled: Schema.Boolean,
  days: Schema.Int.pipe(Schema.between(0, MaxAutoLinkDays))
})
export type AutoLinkSettings = typeof AutoLinkSettings.Type

/** The incidents section. */
export const IncidentSettings = Schema.Struct({ autoLink: AutoLinkSettings })
export type IncidentSettings = typeof IncidentSettings.Type

/** A tenant's stored settings; `updatedAt` is epoch milliseconds, `updatedBy` the login that saved them. */
export const Settings = Schema.Struct({
  tenantID: TenantId,
  incidents: IncidentSettings,
  updatedAt: Schema.Int,
  updatedBy: Schema.String
})
export type Settings = typeof Settings.Type

/** The node's settings for a tenant that never saved any. */
export interface SettingsDefaultValues {
  readonly incidents: IncidentSettings
}

/** Automatic linking on, over `autoLinkDays` days. */
export const settingsDefaults = (autoLinkDays: number): SettingsDefaultValues => ({ incidents: { autoLink: { enabled: true, days: autoLinkDays } } })
