// The AssetCategoryStore contract: embedded (DuckDB) and Cassandra must behave the same, down to
// filters, parent links, ordering, paging, id spelling and deletes.
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { randomUUID } from "node:crypto"
import { AssetCategoryId, type AssetCategory } from "../../model/AssetCategory.ts"
import { TenantId } from "../../model/Ids.ts"
import { AssetCategoryStore, type AssetCategoryQuery } from "../../storage/AssetCategoryStore.ts"
import { uniqueSuffix } from "../support/testIds.ts"

const newTenant = () => TenantId.make(`t${uniqueSuffix()}`)
const newId = () => AssetCategoryId.make(randomUUID())

const category = (tenant: TenantId, overrides: Partial<AssetCategory> = {}): AssetCategory => ({
  id: newId(),
  tenantID: tenant,
  name: "Domain controllers",
  priority: "high",
  createdAt: 1_000,
  updatedAt: 2_000,
  ...overrides
})

const query = (tenantIds: ReadonlyArray<TenantId>, overrides: Partial<AssetCategoryQuery> = {}): AssetCategoryQuery => ({
  tenantIds,
  ids: [],
  page: 1,
  pageSize: 250,
  ...overrides
})

const names = (categories: ReadonlyArray<AssetCategory>) => categories.map((c) => c.name)

export const assetCategoryStoreContract = (name: string, storeLayer: Layer.Layer<AssetCategoryStore, unknown>) =>
  describe(`AssetCategoryStore contract: ${name}`, () => {
    layer(storeLayer, { timeout: "120 seconds", excludeTestServices: true })((it) => {
      it.effect("saves a category with and without a parent and reads it back only through its own tenant, by any spelling of its id", () =>
        Effect.gen(function* () {
          const store = yield* AssetCategoryStore
          const tenant = newTenant()
          const root = category(tenant)
          const child = category(tenant, { name: "Backup DCs", priority: "medium", parentID: root.id })
          yield* store.save(root)
          yield* store.save(child)
          const read = Option.getOrThrow(yield* store.get(tenant, root.id))
          expect(read).toEqual(root)
          expect("parentID" in read).toBe(false)
          expect(yield* store.get(tenant, child.id)).toEqual(Option.some(child))
          expect(yield* store.get(tenant, AssetCategoryId.make(child.id.toUpperCase()))).toEqual(Option.some(child))
          expect(yield* store.get(newTenant(), root.id)).toEqual(Option.none())
          expect(yield* store.get(tenant, newId())).toEqual(Option.none())
        }).pipe(Effect.orDie))

      it.effect("replaces a category saved again, and concurrent saves of one id end as one row", () =>
        Effect.gen(function* () {
          const store = yield* AssetCategoryStore
          const tenant = newTenant()
          const first = category(tenant)
          yield* store.save(first)
          const renamed: AssetCategory = { ...first, name: "DCs", priority: "low", updatedAt: 3_000 }
          yield* store.save(renamed)
          expect(yield* store.get(tenant, first.id)).toEqual(Option.some(renamed))
          const versions = Array.from({ length: 8 }, (_, i) => ({ ...first, name: `version ${i}`, updatedAt: 4_000 + i }))
          yield* Effect.all(versions.map(store.save), { concurrency: "unbounded", discard: true })
          const listed = yield* store.list(query([tenant]))
          expect(listed).toHaveLength(1)
          expect(versions).toContainEqual(listed[0])
        }).pipe(Effect.orDie))

      it.effect("lists the named tenants' categories by name with id, name and parent filters, and pages to the end", () =>
        Effect.gen(function* () {
          const store = yield* AssetCategoryStore
          const tenant = newTenant()
          const other = newTenant()
          const servers = category(tenant, { name: "servers", priority: "medium" })
          const saved = [
            servers,
            category(tenant, { name: "Domain controllers", parentID: servers.id }),
            category(tenant, { name: "web servers", priority: "low", parentID: servers.id }),
            category(tenant, { name: "Workstations", priority: "low" }),
            category(tenant, { name: "printers", priority: "low" })
          ]
          for (const one of saved) yield* store.save(one)
          const foreign = category(other, { name: "foreign servers", parentID: servers.id })
          yield* store.save(foreign)
          expect(names(yield* store.list(query([tenant])))).toEqual(["Domain controllers", "printers", "servers", "web servers", "Workstations"])
          expect(names(yield* store.list(query([tenant], { ids: [saved[3]!.id, AssetCategoryId.make(saved[0]!.id.toUpperCase()), foreign.id, newId()] })))).toEqual([
            "servers",
            "Workstations"
          ])
          expect(names(yield* store.list(query([tenant], { name: /SERVERS$/i })))).toEqual(["servers", "web servers"])
          expect(names(yield* store.list(query([tenant], { name: /s/gi })))).toEqual(["Domain controllers", "printers", "servers", "web servers", "Workstations"])
          expect(names(yield* store.list(query([tenant], { parentIds: [servers.id] })))).toEqual(["Domain controllers", "web servers"])
          expect(names(yield* store.list(query([tenant], { parentIds: [AssetCategoryId.make(servers.id.toUpperCase())], name: /^web/i })))).toEqual(["web servers"])
          expect(yield* store.list(query([tenant], { parentIds: [saved[3]!.id] }))).toEqual([])
          expect(yield* store.list(query([tenant], { parentIds: [] }))).toEqual([])
          expect(yield* store.list(query([tenant], { name: /^nothing$/i }))).toEqual([])
          expect(names(yield* store.list(query([tenant], { pageSize: 2, page: 2 })))).toEqual(["servers", "web servers"])
          expect(names(yield* store.list(query([tenant], { pageSize: 2, page: 3 })))).toEqual(["Workstations"])
          expect(yield* store.list(query([tenant], { pageSize: 2, page: 4 }))).toEqual([])
          expect(names(yield* store.list(query([tenant], { name: /servers/i, pageSize: 1, page: 2 })))).toEqual(["web servers"])
          expect(names(yield* store.list(query([tenant, other], { name: /servers/i })))).toEqual(["foreign servers", "servers", "web servers"])
          expect(yield* store.list(query([other]))).toEqual([foreign])
          expect(yield* store.list(query([newTenant()]))).toEqual([])
          expect(yield* store.list(query([]))).toEqual([])
        }).pipe(Effect.orDie))

      it.effect("deletes only the tenant's own category and says whether there was one", () =>
        Effect.gen(function* () {
          const store = yield* AssetCategoryStore
          const tenant = newTenant()
          const other = newTenant()
          const saved = category(tenant)
          const kept = category(tenant, { name: "kept" })
          // The same id in another tenant is another category.
          const namesake = category(other, { id: saved.id })
          for (const one of [saved, kept, namesake]) yield* store.save(one)
          expect(yield* store.delete(tenant, newId())).toBe(false)
          expect(yield* store.delete(newTenant(), saved.id)).toBe(false)
          expect(yield* store.delete(tenant, AssetCategoryId.make(saved.id.toUpperCase()))).toBe(true)
          expect(yield* store.get(tenant, saved.id)).toEqual(Option.none())
          expect(yield* store.delete(tenant, saved.id)).toBe(false)
          expect(yield* store.list(query([tenant]))).toEqual([kept])
          expect(yield* store.get(other, saved.id)).toEqual(Option.some(namesake))
        }).pipe(Effect.orDie))
    })
  })
