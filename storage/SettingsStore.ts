// The settings store port: each tenant's saved settings, and the node's defaults for a tenant
// that never saved any.
import { Context, Data, Effect, Layer, Option } from "effect"
import type { TenantId } from "../model/Ids.ts"
import { settingsDefaults, type Settings, type SettingsDefaultValues } from "../model/Settings.ts"

export class SettingsStoreError extends Data.TaggedError("SettingsStoreError")<{ readonly message: string; readonly cause?: unknown }> {}

export interface SettingsStoreShape {
  /** Inserts or replaces the tenant's settings. */
  readonly save: (settings: Settings) => Effect.Effect<void, SettingsStoreError>
  /** The tenant's saved settings; none when it never saved any. */
  readonly get: (tenantId: TenantId) => Effect.Effect<Option.Option<Settings>, SettingsStoreError>
}

export class SettingsStore extends Context.Tag("corvus/SettingsStore")<SettingsStore, SettingsStoreShape>() {}

/** The node's settings for tenants without saved ones (the node config's values). */
export class SettingsDefaults extends Context.Tag("corvus/SettingsDefaults")<SettingsDefaults, SettingsDefaultValues>() {}

/** Defaults with automatic linking on over `autoLinkDays` days. */
export const layerDefaults = (autoLinkDays: number): Layer.Layer<SettingsDefaults> => Layer.succeed(SettingsDefaults, settingsDefaults(autoLinkDays))

/** What a tenant runs with: its saved settings, else the node's defaults (`updatedAt` absent then). */
export const effectiveSettings = (tenantId: TenantId) =>
  Effect.gen(function* () {
    const saved = yield* Effect.flatMap(SettingsStore, (store) => store.get(tenantId))
    if (Option.isSome(saved)) return { tenantID: tenantId, incidents: saved.value.incidents, saved: saved.value }
    const defaults = yield* SettingsDefaults
    return { tenantID: tenantId, incidents: defaults.incidents, saved: undefined }
  })
