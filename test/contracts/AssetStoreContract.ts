// The AssetStore contract: embedded (DuckDB) and Cassandra must behave the same, down to
// identity matching for import, pattern filters, ordering and deletes.
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { randomUUID } from "node:crypto"
import { AssetId, type Asset } from "../../model/Asset.ts"
import { TenantId } from "../../model/Ids.ts"
import { AssetStore, type AssetQuery } from "../../storage/AssetStore.ts"
import { uniqueSuffix } from "../support/testIds.ts"

const newTenant = () => TenantId.make(`t${uniqueSuffix()}`)
const newAssetId = () => AssetId.make(randomUUID())

const asset = (tenant: TenantId, overrides: Partial<Asset> = {}): Asset => ({
  id: newAssetId(),
  tenantID: tenant,
  name: "web-1",
  fqdn: "web-1.corp.example",
  ipAddresses: ["10.0.0.5", "192.168.1.5"],
  macAddresses: ["00:1a:2b:3c:4d:5e"],
  categories: ["servers"],
  createdAt: 1_000,
  updatedAt: 2_000,
  ...overrides
})

const query = (tenantIds: ReadonlyArray<TenantId>, overrides: Partial<AssetQuery> = {}): AssetQuery => ({
  tenantIds,
  ids: [],
  page: 1,
  pageSize: 250,
  ...overrides
})

const names = (assets: ReadonlyArray<Asset>) => assets.map((a) => a.name)

export const assetStoreContract = (name: string, storeLayer: Layer.Layer<AssetStore, unknown>) =>
  describe(`AssetStore contract: ${name}`, () => {
    layer(storeLayer, { timeout: "120 seconds", excludeTestServices: true })((it) => {
      it.effect("saves an asset and reads it back only through its own tenant; unknown ids are missing", () =>
        Effect.gen(function* () {
          const store = yield* AssetStore
          const tenant = newTenant()
          const saved = asset(tenant, { owner: "it-ops", os: "Debian 12" })
          const bare = asset(tenant, { name: "printer", ipAddresses: [], macAddresses: [], categories: [] })
          const { fqdn: _fqdn, ...withoutFqdn } = bare
          yield* store.save(saved)
          yield* store.save(withoutFqdn)
          expect(yield* store.get(tenant, saved.id)).toEqual(Option.some(saved))
          const read = Option.getOrThrow(yield* store.get(tenant, bare.id))
          expect(read).toEqual(withoutFqdn)
          expect("fqdn" in read || "owner" in read || "os" in read).toBe(false)
          expect(yield* store.get(tenant, AssetId.make(saved.id.toUpperCase()))).toEqual(Option.some(saved))
          expect(yield* store.get(newTenant(), saved.id)).toEqual(Option.none())
          expect(yield* store.get(tenant, newAssetId())).toEqual(Option.none())
        }).pipe(Effect.orDie))

      it.effect("replaces an asset saved again, and concurrent saves of one id end as one row", () =>
        Effect.gen(function* () {
          const store = yield* AssetStore
          const tenant = newTenant()
          const first = asset(tenant)
          yield* store.save(first)
          const moved: Asset = { ...first, fqdn: "web-2.corp.example", ipAddresses: ["10.0.0.6"], updatedAt: 3_000 }
          yield* store.save(moved)
          expect(yield* store.get(tenant, first.id)).toEqual(Option.some(moved))
          // The identity keys follow the replacement.
          expect(yield* store.findByIdentity(tenant, { fqdn: "web-1.corp.example" })).toEqual(Option.none())
          expect(yield* store.findByIdentity(tenant, { fqdn: "web-2.corp.example" })).toEqual(Option.some(moved))
          const versions = Array.from({ length: 8 }, (_, i) => ({ ...first, name: `web-${i}`, updatedAt: 4_000 + i }))
          yield* Effect.all(versions.map(store.save), { concurrency: "unbounded", discard: true })
          const listed = yield* store.list(query([tenant]))
          expect(listed).toHaveLength(1)
          expect(versions).toContainEqual(listed[0])
        }).pipe(Effect.orDie))

      it.effect("finds an asset by FQDN ignoring case, else by first IP, within the tenant only", () =>
        Effect.gen(function* () {
          const store = yield* AssetStore
          const tenant = newTenant()
          const other = newTenant()
          const named = asset(tenant, { fqdn: "Mail.Corp.Example", ipAddresses: ["10.0.0.7", "10.0.0.8"] })
          const { fqdn: _fqdn, ...ipOnly } = asset(tenant, { name: "camera", ipAddresses: ["10.0.0.9"] })
          const foreign = asset(other, { fqdn: "vpn.corp.example", ipAddresses: ["10.0.0.10"] })
          for (const saved of [named, ipOnly, foreign]) yield* store.save(saved)
          expect(yield* store.findByIdentity(tenant, { fqdn: "mail.corp.EXAMPLE" })).toEqual(Option.some(named))
          expect(yield* store.findByIdentity(tenant, { fqdn: "mail.corp.example", ip: "10.9.9.9" })).toEqual(Option.some(named))
          expect(yield* store.findByIdentity(tenant, { ip: "10.0.0.9" })).toEqual(Option.some(ipOnly))
          expect(yield* store.findByIdentity(tenant, { ip: "10.0.0.7" })).toEqual(Option.some(named))
          // Only the first address identifies an asset.
          expect(yield* store.findByIdentity(tenant, { ip: "10.0.0.8" })).toEqual(Option.none())
          // A given FQDN decides alone: no fallback to the address.
          expect(yield* store.findByIdentity(tenant, { fqdn: "unknown.corp.example", ip: "10.0.0.9" })).toEqual(Option.none())
          // An empty FQDN counts as none.
          expect(yield* store.findByIdentity(tenant, { fqdn: "", ip: "10.0.0.9" })).toEqual(Option.some(ipOnly))
          expect(yield* store.findByIdentity(tenant, {})).toEqual(Option.none())
          expect(yield* store.findByIdentity(tenant, { fqdn: "vpn.corp.example" })).toEqual(Option.none())
          expect(yield* store.findByIdentity(tenant, { ip: "10.0.0.10" })).toEqual(Option.none())
          expect(yield* store.findByIdentity(other, { fqdn: "VPN.corp.example" })).toEqual(Option.some(foreign))
        }).pipe(Effect.orDie))

      it.effect("prefers the earliest created asset when several share an identity", () =>
        Effect.gen(function* () {
          const store = yield* AssetStore
          const tenant = newTenant()
          const later = asset(tenant, { fqdn: "dup.corp.example", ipAddresses: ["10.1.1.1"], createdAt: 5_000 })
          const earlier = asset(tenant, { fqdn: "DUP.corp.example", ipAddresses: ["10.1.1.1"], createdAt: 4_000 })
          yield* store.save(later)
          yield* store.save(earlier)
          expect(yield* store.findByIdentity(tenant, { fqdn: "dup.corp.example" })).toEqual(Option.some(earlier))
          expect(yield* store.findByIdentity(tenant, { ip: "10.1.1.1" })).toEqual(Option.some(earlier))
        }).pipe(Effect.orDie))

      it.effect("lists the named tenants' assets by name with id, name, fqdn, ip and mac patterns, and pages to the end", () =>
        Effect.gen(function* () {
          const store = yield* AssetStore
          const tenant = newTenant()
          const other = newTenant()
          const saved = [
            asset(tenant, { name: "delta", fqdn: "delta.dmz.example", ipAddresses: ["10.0.1.4"], macAddresses: ["AA:BB:CC:00:00:04"] }),
            asset(tenant, { name: "Bravo", fqdn: "bravo.corp.example", ipAddresses: ["10.0.1.2", "172.16.0.2"], macAddresses: [] }),
            asset(tenant, { name: "alpha", fqdn: "alpha.corp.example", ipAddresses: ["10.0.1.1"], macAddresses: ["aa:bb:cc:00:00:01"] }),
            asset(tenant, { name: "charlie", ipAddresses: [], macAddresses: ["aa:bb:cc:00:00:03"] }),
            asset(tenant, { name: "echo", fqdn: "echo.corp.example", ipAddresses: ["10.0.1.5"], macAddresses: [] })
          ]
          const { fqdn: _fqdn, ...charlie } = saved[3]!
          for (const one of [...saved.slice(0, 3), charlie, saved[4]!]) yield* store.save(one)
          const foreign = asset(other, { name: "alpha-foreign" })
          yield* store.save(foreign)
          expect(names(yield* store.list(query([tenant])))).toEqual(["alpha", "Bravo", "charlie", "delta", "echo"])
          expect(names(yield* store.list(query([tenant], { ids: [saved[0]!.id, saved[2]!.id, foreign.id, newAssetId()] })))).toEqual(["alpha", "delta"])
          expect(names(yield* store.list(query([tenant], { name: /^(ALPHA|bravo)$/i })))).toEqual(["alpha", "Bravo"])
          expect(names(yield* store.list(query([tenant], { fqdn: /\.CORP\./i })))).toEqual(["alpha", "Bravo", "echo"])
          expect(names(yield* store.list(query([tenant], { ip: /^172\.16\./i })))).toEqual(["Bravo"])
          expect(names(yield* store.list(query([tenant], { mac: /^aa:bb:cc:00:00:0[14]$/i })))).toEqual(["alpha", "delta"])
          expect(names(yield* store.list(query([tenant], { fqdn: /corp/i, ip: /^10\.0\.1\.[25]$/i })))).toEqual(["Bravo", "echo"])
          expect(yield* store.list(query([tenant], { mac: /^ff:/i }))).toEqual([])
          expect(names(yield* store.list(query([tenant], { name: /a/gi })))).toEqual(["alpha", "Bravo", "charlie", "delta"])
          expect(names(yield* store.list(query([tenant], { pageSize: 2, page: 2 })))).toEqual(["charlie", "delta"])
          expect(names(yield* store.list(query([tenant], { pageSize: 2, page: 3 })))).toEqual(["echo"])
          expect(yield* store.list(query([tenant], { pageSize: 2, page: 4 }))).toEqual([])
          expect(names(yield* store.list(query([tenant], { fqdn: /corp/i, pageSize: 2, page: 2 })))).toEqual(["echo"])
          expect(names(yield* store.list(query([tenant, other], { name: /alpha/i })))).toEqual(["alpha", "alpha-foreign"])
          expect(yield* store.list(query([other]))).toEqual([foreign])
          expect(yield* store.list(query([newTenant()]))).toEqual([])
          expect(yield* store.list(query([]))).toEqual([])
        }).pipe(Effect.orDie))

      it.effect("deletes the tenant's assets by id, counting only those that existed", () =>
        Effect.gen(function* () {
          const store = yield* AssetStore
          const tenant = newTenant()
          const other = newTenant()
          const first = asset(tenant, { name: "a" })
          const second = asset(tenant, { name: "b" })
          const third = asset(tenant, { name: "c" })
          const foreign = asset(other)
          for (const saved of [first, second, third, foreign]) yield* store.save(saved)
          expect(yield* store.delete(tenant, [])).toBe(0)
          expect(yield* store.delete(tenant, [newAssetId(), foreign.id])).toBe(0)
          expect(yield* store.get(other, foreign.id)).toEqual(Option.some(foreign))
          expect(yield* store.delete(tenant, [first.id, AssetId.make(first.id.toUpperCase()), second.id, newAssetId()])).toBe(2)
          expect(names(yield* store.list(query([tenant])))).toEqual(["c"])
          expect(yield* store.get(tenant, first.id)).toEqual(Option.none())
          expect(yield* store.findByIdentity(tenant, { fqdn: first.fqdn! })).toEqual(Option.some(third))
          expect(yield* store.delete(tenant, [first.id])).toBe(0)
          expect(yield* store.delete(other, [foreign.id])).toBe(1)
          expect(yield* store.list(query([other]))).toEqual([])
        }).pipe(Effect.orDie))
    })
  })
