// The ResourceStore contract: embedded (DuckDB) and Cassandra must behave the same; a resource
// of a tenant the caller does not name answers exactly as a missing one.
import { describe, expect, type Vitest } from "@effect/vitest"
import { Effect, Option } from "effect"
import { randomUUID } from "node:crypto"
import { TenantId } from "../../model/Ids.ts"
import { ResourceId, type Resource } from "../../model/Resource.ts"
import { UserId } from "../../model/User.ts"
import { ResourceStore, type ResourceQuery } from "../../storage/ResourceStore.ts"
import { uniqueSuffix } from "../support/testIds.ts"

const newTenant = () => TenantId.make(`t${uniqueSuffix()}`)
const author = UserId.make(randomUUID())

const resource = (tenant: TenantId, overrides: Partial<Resource> = {}): Resource => ({
  id: ResourceId.make(randomUUID()),
  tenantID: tenant,
  kind: "correlationRule",
  name: "Password guessing",
  userID: author,
  description: "Five failed logons from one address in a minute",
  version: 1,
  createdAt: 1_700_000_000_000,
  updatedAt: 1_700_000_000_000,
  body: { selectors: [{ filter: { field: "DeviceAction", op: "=", value: "logon-failed" } }], window: "1m", threshold: 5, tags: ["ключ", "✓"], nested: { empty: [], none: null } },
  ...overrides
})

const query = (tenantIds: ReadonlyArray<TenantId>, overrides: Partial<ResourceQuery> = {}): ResourceQuery => ({
  tenantIds,
  ids: [],
  kinds: [],
  page: 1,
  pageSize: 250,
  ...overrides
})

/** Registers the ResourceStore contract's tests on `it`, whose layer provides the backend under test. */
export const resourceStoreContract = (it: Vitest.MethodsNonLive<ResourceStore, true>) =>
  describe("ResourceStore contract", () => {
    it.effect("saves a resource and reads it back only through its own tenant; unknown ids and foreign tenants answer as missing", () =>
      Effect.gen(function* () {
        const store = yield* ResourceStore
        const tenant = newTenant()
        const foreign = newTenant()
        const saved = resource(tenant)
        yield* store.save(saved)
        expect(yield* store.get([tenant], saved.id)).toEqual(Option.some(saved))
        expect(yield* store.get([foreign, tenant], saved.id)).toEqual(Option.some(saved))
        expect(yield* store.get([foreign], saved.id)).toEqual(Option.none())
        expect(yield* store.get([], saved.id)).toEqual(Option.none())
        expect(yield* store.get([tenant], ResourceId.make(randomUUID()))).toEqual(Option.none())
        // Without a description the field stays absent.
        const { description: _, ...bare } = resource(tenant, { kind: "dictionary", body: ["a", 1, true] })
        yield* store.save(bare)
        expect(Option.getOrThrow(yield* store.get([tenant], bare.id))).toStrictEqual(bare)
      }).pipe(Effect.orDie))

    it.effect("replaces a resource saved again with the same id, keeping one row", () =>
      Effect.gen(function* () {
        const store = yield* ResourceStore
        const tenant = newTenant()
        const first = resource(tenant)
        yield* store.save(first)
        const second: Resource = { ...first, name: "Password spraying", version: 2, updatedAt: first.updatedAt + 60_000, body: { threshold: 20 } }
        yield* store.save(second)
        expect(yield* store.get([tenant], first.id)).toEqual(Option.some(second))
        expect(yield* store.list(query([tenant]))).toEqual([second])
      }).pipe(Effect.orDie))

    it.effect("keeps one resource when the same resource is saved many times at once", () =>
      Effect.gen(function* () {
        const store = yield* ResourceStore
        const tenant = newTenant()
        const saved = resource(tenant)
        yield* Effect.all(
          Array.from({ length: 6 }, () => store.save(saved)),
          { concurrency: "unbounded" }
        )
        expect(yield* store.list(query([tenant]))).toEqual([saved])
      }).pipe(Effect.orDie))

    it.effect("keeps one id saved under two tenants as two resources, each seen only through its tenant", () =>
      Effect.gen(function* () {
        const store = yield* ResourceStore
        const tenant2 = newTenant()
        const tenant3 = newTenant()
        const inTenant2 = resource(tenant2, { name: "Imported rule" })
        const inTenant3: Resource = { ...inTenant2, tenantID: tenant3, version: 7 }
        yield* store.save(inTenant2)
        yield* store.save(inTenant3)
        expect(yield* store.get([tenant2], inTenant2.id)).toEqual(Option.some(inTenant2))
        expect(yield* store.get([tenant3], inTenant2.id)).toEqual(Option.some(inTenant3))
        // The caller's first tenant that has the id answers.
        expect(yield* store.get([tenant3, tenant2], inTenant2.id)).toEqual(Option.some(inTenant3))
        expect(yield* store.list(query([tenant2, tenant3]))).toEqual([inTenant2, inTenant3].sort((a, b) => (a.tenantID < b.tenantID ? -1 : 1)))
        expect(yield* store.delete(tenant2, inTenant2.id)).toBe(true)
        expect(yield* store.get([tenant3], inTenant2.id)).toEqual(Option.some(inTenant3))
      }).pipe(Effect.orDie))

    it.effect("lists the named tenants' resources by name, with id, kind, name, user filters and pages", () =>
      Effect.gen(function* () {
        const store = yield* ResourceStore
        const tenant = newTenant()
        const other = newTenant()
        const foreign = newTenant()
        const someoneElse = UserId.make(randomUUID())
        const rule = resource(tenant, { name: "Brute force" })
        const correlator = resource(tenant, { kind: "correlator", name: "SOC correlator" })
        const collector = resource(other, { kind: "collector", name: "Syslog collector", userID: someoneElse })
        const normalizer = resource(tenant, { kind: "normalizer", name: "cef normalizer", userID: someoneElse })
        const hidden = resource(foreign, { name: "Alpha hidden" })
        for (const saved of [rule, correlator, collector, normalizer, hidden]) yield* store.save(saved)

        // Names compare as written (code units): upper case sorts before lower case.
        expect(yield* store.list(query([tenant, other]))).toEqual([rule, correlator, collector, normalizer])
        expect(yield* store.list(query([tenant]))).toEqual([rule, correlator, normalizer])
        expect(yield* store.list(query([tenant, other], { kinds: ["correlator", "collector"] }))).toEqual([correlator, collector])
        expect(yield* store.list(query([tenant, other], { ids: [normalizer.id, hidden.id] }))).toEqual([normalizer])
        expect(yield* store.list(query([tenant, other], { name: /COLLECTOR|normalizer/i }))).toEqual([collector, normalizer])
        expect(yield* store.list(query([tenant, other], { name: /o/g }))).toEqual([rule, correlator, collector, normalizer])
        expect(yield* store.list(query([tenant, other], { userID: someoneElse }))).toEqual([collector, normalizer])
        expect(yield* store.list(query([tenant, other], { kinds: ["correlationRule"], userID: author }))).toEqual([rule])
        expect(yield* store.list(query([tenant, other], { pageSize: 3, page: 2 }))).toEqual([normalizer])
        expect(yield* store.list(query([tenant, other], { pageSize: 2, page: 3 }))).toEqual([])
        expect(yield* store.list(query([tenant, other], { pageSize: 4, page: 2 }))).toEqual([])
        expect(yield* store.list(query([]))).toEqual([])
        expect(yield* store.list(query([], { ids: [rule.id] }))).toEqual([])
        expect(yield* store.list(query([newTenant()]))).toEqual([])
        expect(yield* store.list(query([tenant], { ids: [hidden.id] }))).toEqual([])
        expect(yield* store.list(query([tenant], { kinds: ["agent"] }))).toEqual([])
      }).pipe(Effect.orDie))

    it.effect("deletes a resource only through its own tenant and tells whether there was one", () =>
      Effect.gen(function* () {
        const store = yield* ResourceStore
        const tenant = newTenant()
        const foreign = newTenant()
        const saved = resource(tenant)
        const neighbour = resource(tenant, { name: "Neighbour" })
        yield* store.save(saved)
        yield* store.save(neighbour)
        expect(yield* store.delete(foreign, saved.id)).toBe(false)
        expect(yield* store.get([tenant], saved.id)).toEqual(Option.some(saved))
        expect(yield* store.delete(tenant, ResourceId.make(randomUUID()))).toBe(false)
        expect(yield* store.delete(tenant, saved.id)).toBe(true)
        expect(yield* store.get([tenant], saved.id)).toEqual(Option.none())
        expect(yield* store.delete(tenant, saved.id)).toBe(false)
        expect(yield* store.list(query([tenant]))).toEqual([neighbour])
        // Saved again after the delete, it is back.
        yield* store.save(saved)
        expect(yield* store.get([tenant], saved.id)).toEqual(Option.some(saved))
      }).pipe(Effect.orDie))
  })
