// The cluster incident store on Cassandra: one partition of incidents per tenant, and one of
// alert links per tenant whose rows are claimed with lightweight transactions, so an alert
// lands in at most one incident even when two nodes link it at once.
import cassandra from "cassandra-driver"
import { Effect, Layer, Option, Schema } from "effect"
import type { AlertId, TenantId } from "../../model/Ids.ts"
import { Incident } from "../../model/Incident.ts"
import type { IncidentId } from "../../model/IncidentId.ts"
import {
  IncidentStore,
  IncidentStoreError,
  incidentMatches,
  linkResult,
  isOpenAndSharing,
  newestFirst,
  type IncidentQuery
} from "../IncidentStore.ts"
import { pageOf, uuidKey } from "../StoreListing.ts"
import { CassandraClient } from "./CassandraClient.ts"
import { readAllRows } from "./CassandraPaging.ts"
import { Tables } from "./CassandraTables.ts"

const decodeIncident = Schema.decodeUnknownSync(Incident)
const { consistencies } = cassandra.types

/** The incident of a row; its alert IDs come from the row's link set, not from the body. */
const incidentOfRow = (row: cassandra.types.Row): Incident | undefined => {
  const body = row.get("body") as string | null
  // A row holding only a link set has no incident (it cannot be made by these statements, but a
  // stray one must not break reads).
  if (body === null) return undefined
  const links = (row.get("alert_ids") as Array<cassandra.types.Uuid> | null) ?? []
  return decodeIncident({ ...JSON.parse(body), alertIDs: links.map(String).sort() })
}

/** Builds the incident store over the Cassandra session. */
export const make = Effect.gen(function* () {
  const { client } = yield* CassandraClient
  const run = <A>(message: string, work: () => Promise<A>) =>
    Effect.tryPromise({ try: work, catch: (cause) => new IncidentStoreError({ message, cause }) })

  const save = (incident: Incident) =>
    run("incident write failed", async () => {
      const { alertIDs: _links, ...body } = incident
      // alert_ids is left out so that a save never undoes a concurrent link.
      await client.execute(
        `INSERT INTO ${Tables.incidents} (tenant_id, id, status, updated_at, body) VALUES (?, ?, ?, ?, ?)`,
        [incident.tenantID, incident.id, incident.status, new Date(incident.updatedAt), JSON.stringify(body)],
        { prepare: true }
      )
    })

  const get = (tenantId: TenantId, id: IncidentId) =>
    run("incident read failed", async () => {
      const result = await client.execute(`SELECT body, alert_ids FROM ${Tables.incidents} WHERE tenant_id = ? AND id = ?`, [tenantId, id], {
        prepare: true
      })
      const row = result.first()
      return Option.fromNullable(row === null ? undefined : incidentOfRow(row))
    })

  const readTenant = async (tenantId: TenantId): Promise<Array<Incident>> => {
    const incidents: Array<Incident> = []
    for (const row of await readAllRows(client, `SELECT body, alert_ids FROM ${Tables.incidents} WHERE tenant_id = ?`, [tenantId])) {
      const incident = incidentOfRow(row)
      if (incident !== undefined) incidents.push(incident)
    }
    return incidents
  }

  const list = (query: IncidentQuery) =>
    run("incident list failed", async () => {
      const matches = incidentMatches(query)
      const selected: Array<Incident> = []
      for (const tenantId of new Set(query.tenantIds)) {
        const rows =
          query.ids.length > 0
            ? (
                await client.execute(`SELECT body, alert_ids FROM ${Tables.incidents} WHERE tenant_id = ? AND id IN ?`, [tenantId, [...new Set(query.ids.map(uuidKey))]], {
                  prepare: true
                })
              ).rows.flatMap((row) => incidentOfRow(row) ?? [])
            : await readTenant(tenantId)
        selected.push(...rows.filter(matches))
      }
      return pageOf(selected.sort(newestFirst), query.page, query.pageSize)
    })

  const incidentExists = async (tenantId: TenantId, incidentId: IncidentId) =>
    (await client.execute(`SELECT body FROM ${Tables.incidents} WHERE tenant_id = ? AND id = ?`, [tenantId, incidentId], { prepare: true })).first()?.get(
      "body"
    ) != null

  const addToLinkSet = (tenantId: TenantId, incidentId: IncidentId, alertId: AlertId) =>
    client.execute(`UPDATE ${Tables.incidents} SET alert_ids = alert_ids + ? WHERE tenant_id = ? AND id = ?`, [[alertId], tenantId, incidentId], {
      prepare: true
    })

  const linkAlert = (tenantId: TenantId, incidentId: IncidentId, alertId: AlertId) =>
    run("incident alert link failed", async () => {
      // Incidents are never deleted, so one that exists now still exists when the set is updated.
      if (!(await incidentExists(tenantId, incidentId))) return { outcome: "missing" } as const
      const claim = await client.execute(
        `INSERT INTO ${Tables.incidentAlerts} (tenant_id, alert_id, incident_id) VALUES (?, ?, ?) IF NOT EXISTS`,
        [tenantId, alertId, incidentId],
        { prepare: true, serialConsistency: consistencies.localSerial }
      )
      if (!claim.wasApplied()) {
        const holder = String(claim.first()?.get("incident_id"))
        if (holder !== uuidKey(incidentId)) return { outcome: "taken", holder: holder as IncidentId } as const
      }
      // Also done when the claim was already ours: it repairs a link whose set update was lost.
      await addToLinkSet(tenantId, incidentId, alertId)
      return { outcome: "linked" } as const
    }).pipe(
      Effect.flatMap(linkResult(alertId, incidentId))
    )

  const unlinkAlert = (tenantId: TenantId, incidentId: IncidentId, alertId: AlertId) =>
    run("incident alert unlink failed", async () => {
      await client.execute(`DELETE FROM ${Tables.incidentAlerts} WHERE tenant_id = ? AND alert_id = ? IF incident_id = ?`, [tenantId, alertId, incidentId], {
        prepare: true,
        serialConsistency: consistencies.localSerial
      })
      // Whether or not the claim was this incident's, the alert does not belong in its set; a
      // removal on a missing incident writes only a tombstone, never a row.
      await client.execute(`UPDATE ${Tables.incidents} SET alert_ids = alert_ids - ? WHERE tenant_id = ? AND id = ?`, [[alertId], tenantId, incidentId], {
        prepare: true
      })
    })

  const incidentOfAlert = (tenantId: TenantId, alertId: AlertId) =>
    run("incident alert read failed", async () => {
      // A serial read sees any claim whose transaction is still being committed.
      const result = await client.execute(`SELECT incident_id FROM ${Tables.incidentAlerts} WHERE tenant_id = ? AND alert_id = ?`, [tenantId, alertId], {
        prepare: true,
        consistency: consistencies.localSerial
      })
      const row = result.first()
      return row === null ? Option.none() : Option.some(String(row.get("incident_id")) as IncidentId)
    })

  const openIncidentsSharing = (tenantId: TenantId, assets: ReadonlyArray<string>, accounts: ReadonlyArray<string>, sinceMs: number) =>
    assets.length === 0 && accounts.length === 0
      ? Effect.succeed([])
      : run("incident scan failed", async () => {
          const assetSet = new Set(assets)
          const accountSet = new Set(accounts)
          return (await readTenant(tenantId)).filter((incident) => isOpenAndSharing(incident, assetSet, accountSet, sinceMs)).sort(newestFirst)
        })

  return { save, get, list, linkAlert, unlinkAlert, incidentOfAlert, openIncidentsSharing }
})

/** The Cassandra incident store over the process's session. */
export const layer: Layer.Layer<IncidentStore, never, CassandraClient> = Layer.effect(IncidentStore, make)
