// The cluster service store on Cassandra: one partition of services per tenant, bodies as JSON.
import type cassandra from "cassandra-driver"
import { Effect, Layer, Option, Schema } from "effect"
import type { TenantId } from "../../model/Ids.ts"
import { Service, type ServiceId } from "../../model/Service.ts"
import { pageOf } from "../StoreListing.ts"
import { ServiceStore, ServiceStoreError, serviceMatches, serviceOrder, type ServiceQuery } from "../ServiceStore.ts"
import { CassandraClient } from "./CassandraClient.ts"
import { readAllRows } from "./CassandraPaging.ts"
import { Tables } from "./CassandraTables.ts"

const decodeService = Schema.decodeUnknownSync(Service)
const serviceOfRow = (row: cassandra.types.Row): Service => decodeService(JSON.parse(String(row.get("body"))))

/** Builds the service store over the Cassandra session. */
export const make = Effect.gen(function* () {
  const { client } = yield* CassandraClient
  const run = <A>(message: string, work: () => Promise<A>) =>
    Effect.tryPromise({ try: work, catch: (cause) => new ServiceStoreError({ message, cause }) })

  const save = (service: Service) =>
    run("service write failed", async () => {
      await client.execute(
        `INSERT INTO ${Tables.services} (tenant_id, id, name, kind, paired, body) VALUES (?, ?, ?, ?, ?, ?)`,
        [service.tenantID, service.id, service.name, service.kind, service.paired, JSON.stringify(service)],
        { prepare: true }
      )
    })

  const get = (tenantId: TenantId, id: ServiceId) =>
    run("service read failed", async () => {
      const row = (await client.execute(`SELECT body FROM ${Tables.services} WHERE tenant_id = ? AND id = ?`, [tenantId, id], { prepare: true })).first()
      return row === null ? Option.none() : Option.some(serviceOfRow(row))
    })

  const list = (query: ServiceQuery) =>
    run("service list failed", async () => {
      const matches = serviceMatches(query)
      const selected: Array<Service> = []
      for (const tenantId of new Set(query.tenantIds)) {
        const rows =
          query.ids.length > 0
            ? (await client.execute(`SELECT body FROM ${Tables.services} WHERE tenant_id = ? AND id IN ?`, [tenantId, [...new Set(query.ids)]], { prepare: true })).rows
            : await readAllRows(client, `SELECT body FROM ${Tables.services} WHERE tenant_id = ?`, [tenantId])
        selected.push(...rows.map(serviceOfRow).filter(matches))
      }
      return pageOf(selected.sort(serviceOrder), query.page, query.pageSize)
    })

  const remove = (tenantId: TenantId, id: ServiceId) =>
    run("service delete failed", async () => {
      const present = (await client.execute(`SELECT id FROM ${Tables.services} WHERE tenant_id = ? AND id = ?`, [tenantId, id], { prepare: true })).first() !== null
      if (present) await client.execute(`DELETE FROM ${Tables.services} WHERE tenant_id = ? AND id = ?`, [tenantId, id], { prepare: true })
      return present
    })

  return { save, get, list, delete: remove }
})

/** The Cassandra service store over the process's session. */
export const layer: Layer.Layer<ServiceStore, never, CassandraClient> = Layer.effect(ServiceStore, make)
