// The SettingsStore contract: embedded (DuckDB) and Cassandra keep one settings document per
// tenant, replaced whole, never visible to another tenant.
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { TenantId } from "../../model/Ids.ts"
import type { Settings } from "../../model/Settings.ts"
import { SettingsStore } from "../../storage/SettingsStore.ts"
import { uniqueSuffix } from "../support/testIds.ts"

const newTenant = () => TenantId.make(`t${uniqueSuffix()}`)

const settings = (tenant: TenantId, enabled: boolean, days: number, updatedAt = 1_000): Settings => ({
  tenantID: tenant,
  incidents: { autoLink: { enabled, days } },
  updatedAt,
  updatedBy: "admin"
})

export const settingsStoreContract = (name: string, storeLayer: Layer.Layer<SettingsStore, unknown>) =>
  describe(`SettingsStore contract: ${name}`, () => {
    layer(storeLayer, { timeout: "120 seconds", excludeTestServices: true })((it) => {
      it.effect("a tenant that never saved settings has none; saved ones read back only through their own tenant", () =>
        Effect.gen(function* () {
          const store = yield* SettingsStore
          const tenant = newTenant()
          const other = newTenant()
          expect(yield* store.get(tenant)).toEqual(Option.none())
          const saved = settings(tenant, false, 0)
          yield* store.save(saved)
          expect(yield* store.get(tenant)).toEqual(Option.some(saved))
          expect(yield* store.get(other)).toEqual(Option.none())
          const theirs = settings(other, true, 3650)
          yield* store.save(theirs)
          expect(yield* store.get(other)).toEqual(Option.some(theirs))
          expect(yield* store.get(tenant)).toEqual(Option.some(saved))
        }).pipe(Effect.orDie))

      it.effect("saving again replaces the whole document, and concurrent saves end as one of them", () =>
        Effect.gen(function* () {
          const store = yield* SettingsStore
          const tenant = newTenant()
          yield* store.save(settings(tenant, true, 7))
          const changed = settings(tenant, false, 30, 2_000)
          yield* store.save(changed)
          expect(yield* store.get(tenant)).toEqual(Option.some(changed))
          const versions = Array.from({ length: 8 }, (_, i) => settings(tenant, i % 2 === 0, i + 1, 3_000 + i))
          yield* Effect.all(versions.map(store.save), { concurrency: "unbounded", discard: true })
          expect(versions).toContainEqual(Option.getOrThrow(yield* store.get(tenant)))
        }).pipe(Effect.orDie))
    })
  })
