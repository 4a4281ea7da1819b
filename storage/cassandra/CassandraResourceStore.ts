// The cluster resource store on Cassandra: one partition of resources per owner tenant, so
// every read names the tenants the caller holds and a foreign resource is never touched.
import { Effect, Layer, Option, Schema } from "effect"
import type { TenantId } from "../../model/Ids.ts"
import { Resource, type ResourceId } from "../../model/Resource.ts"
import { ResourceStore, ResourceStoreError, selectResources, type ResourceQuery } from "../ResourceStore.ts"
import { CassandraClient } from "./CassandraClient.ts"
import { readAllRows } from "./CassandraPaging.ts"
import { Tables } from "./CassandraTables.ts"
import { isTransientCassandraError } from "./CassandraTransient.ts"

const decodeResource = Schema.decodeUnknownSync(Resource)

/** Builds the Cassandra resource store over the process's session (the schema comes from the migrations). */
export const make = Effect.gen(function* () {
  const { client } = yield* CassandraClient
  const run = <A>(message: string, work: () => Promise<A>) =>
    Effect.tryPromise({ try: work, catch: (cause) => new ResourceStoreError({ message, cause, transient: isTransientCassandraError(cause) }) })

  const save = (resource: Resource) =>
    run("resource write failed", () =>
      client.execute(`INSERT INTO ${Tables.resources} (tenant_id, id, body) VALUES (?, ?, ?)`, [resource.tenantID, resource.id, JSON.stringify(resource)], {
        prepare: true
      })
    ).pipe(Effect.asVoid)

  const get = (tenantIds: ReadonlyArray<TenantId>, id: ResourceId) =>
    run("resource read failed", async () => {
      const rows = await Promise.all(
        [...new Set(tenantIds)].map(
          async (tenantId) => (await client.execute(`SELECT body FROM ${Tables.resources} WHERE tenant_id = ? AND id = ?`, [tenantId, id], { prepare: true })).first()
        )
      )
      // The first tenant in the caller's order that has the id answers.
      const row = rows.find((found) => found !== null)
      return row === undefined || row === null ? Option.none() : Option.some(decodeResource(JSON.parse(String(row.get("body")))))
    })

  const list = (query: ResourceQuery) =>
    run("resource list failed", async () => {
      const tenants = [...new Set(query.tenantIds)]
      const partitions = await Promise.all(
        tenants.map((tenantId) =>
          query.ids.length > 0
            ? readAllRows(client, `SELECT body FROM ${Tables.resources} WHERE tenant_id = ? AND id IN ?`, [tenantId, [...new Set(query.ids)]])
            : readAllRows(client, `SELECT body FROM ${Tables.resources} WHERE tenant_id = ?`, [tenantId])
        )
      )
      return selectResources(
        partitions.flat().map((row) => decodeResource(JSON.parse(String(row.get("body"))))),
        query
      )
    })

  // A read, then a plain delete: a conditional delete would mix Paxos timestamps with the
  // client timestamps of saves, and a save right after a delete could then be shadowed by it.
  const remove = (tenantId: TenantId, id: ResourceId) =>
    run("resource delete failed", async () => {
      const existing = await client.execute(`SELECT id FROM ${Tables.resources} WHERE tenant_id = ? AND id = ?`, [tenantId, id], { prepare: true })
      if (existing.first() === null) return false
      await client.execute(`DELETE FROM ${Tables.resources} WHERE tenant_id = ? AND id = ?`, [tenantId, id], { prepare: true })
      return true
    })

  return { save, get, list, delete: remove }
})

/** The Cassandra resource store over the process's session. */
export const layer: Layer.Layer<ResourceStore, never, CassandraClient> = Layer.effect(ResourceStore, make)
