// The ServiceStore contract: embedded (DuckDB) and Cassandra must behave the same, down to
// filters, ordering, paging and deletes.
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { TenantId } from "../../model/Ids.ts"
import { ServiceId, type Service } from "../../model/Service.ts"
import { ServiceStore, type ServiceQuery } from "../../storage/ServiceStore.ts"
import { uniqueSuffix } from "../support/testIds.ts"

const newTenant = () => TenantId.make(`t${uniqueSuffix()}`)
const newServiceId = () => ServiceId.make(`svc-${uniqueSuffix()}`)

const service = (tenant: TenantId, overrides: Partial<Service> = {}): Service => ({
  id: newServiceId(),
  tenantID: tenant,
  name: "syslog collector",
  kind: "collector",
  fqdn: "collector-1.corp.example",
  paired: true,
  status: "green",
  createdAt: 1_000,
  updatedAt: 2_000,
  config: { connector: { kind: "udp", port: 5514 }, normalizer: "syslog", tags: ["dmz", null, 3.5, true] },
  ...overrides
})

const query = (tenantIds: ReadonlyArray<TenantId>, overrides: Partial<ServiceQuery> = {}): ServiceQuery => ({
  tenantIds,
  ids: [],
  kinds: [],
  page: 1,
  pageSize: 250,
  ...overrides
})

const names = (services: ReadonlyArray<Service>) => services.map((s) => s.name)

export const serviceStoreContract = (name: string, storeLayer: Layer.Layer<ServiceStore, unknown>) =>
  describe(`ServiceStore contract: ${name}`, () => {
    layer(storeLayer, { timeout: "120 seconds", excludeTestServices: true })((it) => {
      it.effect("saves a service with its JSON config and reads it back only through its own tenant; unknown ids are missing", () =>
        Effect.gen(function* () {
          const store = yield* ServiceStore
          const tenant = newTenant()
          const saved = service(tenant)
          const { fqdn: _fqdn, ...agent } = service(tenant, { name: "agent", kind: "agent", paired: false, status: "grey", config: "plain text" })
          const nullConfig = service(tenant, { name: "storage", kind: "storage", config: null })
          for (const one of [saved, agent, nullConfig]) yield* store.save(one)
          expect(yield* store.get(tenant, saved.id)).toEqual(Option.some(saved))
          const read = Option.getOrThrow(yield* store.get(tenant, agent.id))
          expect(read).toEqual(agent)
          expect("fqdn" in read).toBe(false)
          expect(yield* store.get(tenant, nullConfig.id)).toEqual(Option.some(nullConfig))
          expect(yield* store.get(newTenant(), saved.id)).toEqual(Option.none())
          expect(yield* store.get(tenant, newServiceId())).toEqual(Option.none())
          // Service ids are tokens and compare exactly.
          expect(yield* store.get(tenant, ServiceId.make(saved.id.toUpperCase()))).toEqual(Option.none())
        }).pipe(Effect.orDie))

      it.effect("replaces a service saved again, and concurrent saves of one id end as one row", () =>
        Effect.gen(function* () {
          const store = yield* ServiceStore
          const tenant = newTenant()
          const first = service(tenant)
          yield* store.save(first)
          const unpaired: Service = { ...first, paired: false, status: "red", config: { port: 6514 }, updatedAt: 3_000 }
          yield* store.save(unpaired)
          expect(yield* store.get(tenant, first.id)).toEqual(Option.some(unpaired))
          expect(yield* store.list(query([tenant], { paired: true }))).toEqual([])
          const versions = Array.from({ length: 8 }, (_, i) => ({ ...first, name: `collector ${i}`, updatedAt: 4_000 + i }))
          yield* Effect.all(versions.map(store.save), { concurrency: "unbounded", discard: true })
          const listed = yield* store.list(query([tenant]))
          expect(listed).toHaveLength(1)
          expect(versions).toContainEqual(listed[0])
        }).pipe(Effect.orDie))

      it.effect("lists the named tenants' services by name with id, name, kind, fqdn and paired filters, and pages to the end", () =>
        Effect.gen(function* () {
          const store = yield* ServiceStore
          const tenant = newTenant()
          const other = newTenant()
          const saved = [
            service(tenant, { name: "Windows collector", kind: "collector", fqdn: "win.corp.example", paired: true }),
            service(tenant, { name: "main correlator", kind: "correlator", fqdn: "corr.corp.example", paired: true }),
            service(tenant, { name: "archive storage", kind: "storage", fqdn: "store.dmz.example", paired: false }),
            service(tenant, { name: "Linux agent", kind: "agent", paired: false }),
            service(tenant, { name: "syslog collector", kind: "collector", fqdn: "syslog.dmz.example", paired: true })
          ]
          const { fqdn: _fqdn, ...agent } = saved[3]!
          for (const one of [saved[0]!, saved[1]!, saved[2]!, agent, saved[4]!]) yield* store.save(one)
          const foreign = service(other, { name: "foreign collector" })
          yield* store.save(foreign)
          const all = ["archive storage", "Linux agent", "main correlator", "syslog collector", "Windows collector"]
          expect(names(yield* store.list(query([tenant])))).toEqual(all)
          expect(names(yield* store.list(query([tenant], { ids: [saved[4]!.id, saved[0]!.id, foreign.id, newServiceId()] })))).toEqual([
            "syslog collector",
            "Windows collector"
          ])
          expect(names(yield* store.list(query([tenant], { name: /COLLECTOR$/i })))).toEqual(["syslog collector", "Windows collector"])
          expect(names(yield* store.list(query([tenant], { kinds: ["collector", "agent"] })))).toEqual(["Linux agent", "syslog collector", "Windows collector"])
          expect(names(yield* store.list(query([tenant], { fqdn: /\.DMZ\./i })))).toEqual(["archive storage", "syslog collector"])
          expect(names(yield* store.list(query([tenant], { paired: false })))).toEqual(["archive storage", "Linux agent"])
          expect(names(yield* store.list(query([tenant], { paired: true, kinds: ["collector"], fqdn: /corp/i })))).toEqual(["Windows collector"])
          expect(yield* store.list(query([tenant], { name: /^nothing$/i }))).toEqual([])
          expect(names(yield* store.list(query([tenant], { name: /o/gi })))).toEqual(["archive storage", "main correlator", "syslog collector", "Windows collector"])
          expect(names(yield* store.list(query([tenant], { pageSize: 2, page: 2 })))).toEqual(["main correlator", "syslog collector"])
          expect(names(yield* store.list(query([tenant], { pageSize: 2, page: 3 })))).toEqual(["Windows collector"])
          expect(yield* store.list(query([tenant], { pageSize: 2, page: 4 }))).toEqual([])
          expect(names(yield* store.list(query([tenant], { name: /collector/i, pageSize: 1, page: 2 })))).toEqual(["Windows collector"])
          expect(names(yield* store.list(query([tenant, other], { kinds: ["collector"] })))).toEqual(["foreign collector", "syslog collector", "Windows collector"])
          expect(yield* store.list(query([other]))).toEqual([foreign])
          expect(yield* store.list(query([newTenant()]))).toEqual([])
          expect(yield* store.list(query([]))).toEqual([])
        }).pipe(Effect.orDie))

      it.effect("deletes only the tenant's own service and says whether there was one", () =>
        Effect.gen(function* () {
          const store = yield* ServiceStore
          const tenant = newTenant()
          const other = newTenant()
          const saved = service(tenant)
          const kept = service(tenant, { name: "kept" })
          // The same id in another tenant is another service.
          const namesake = service(other, { id: saved.id })
          for (const one of [saved, kept, namesake]) yield* store.save(one)
          expect(yield* store.delete(tenant, newServiceId())).toBe(false)
          expect(yield* store.delete(newTenant(), saved.id)).toBe(false)
          expect(yield* store.delete(tenant, saved.id)).toBe(true)
          expect(yield* store.get(tenant, saved.id)).toEqual(Option.none())
          expect(yield* store.delete(tenant, saved.id)).toBe(false)
          expect(yield* store.list(query([tenant]))).toEqual([kept])
          expect(yield* store.get(other, saved.id)).toEqual(Option.some(namesake))
        }).pipe(Effect.orDie))
    })
  })
