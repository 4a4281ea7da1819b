// The embedded incident store on DuckDB: incidents as JSON bodies with the columns lists filter
// on, and an alert-link table whose key lets an alert sit in at most one incident per tenant.
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
  type IncidentQuery
} from "../IncidentStore.ts"
import { pageBounds, pageOf, uuidKey } from "../StoreListing.ts"
import { DuckDb, placeholders, type DuckDbError } from "./DuckDb.ts"

const decodeIncident = Schema.decodeUnknownSync(Incident)
const toStoreError = (error: DuckDbError) => new IncidentStoreError({ message: error.message, cause: error.cause })

const Tables = [
  // Ids are stored in lower case, so any spelling of a UUID finds its row, as in Cassandra.
  `CREATE TABLE IF NOT EXISTS incidents (
     tenant_id VARCHAR NOT NULL, id VARCHAR NOT NULL, status VARCHAR NOT NULL, updated_at BIGINT NOT NULL, body VARCHAR NOT NULL,
     PRIMARY KEY (tenant_id, id))`,
  `CREATE TABLE IF NOT EXISTS incident_alerts (
     tenant_id VARCHAR NOT NULL, alert_id VARCHAR NOT NULL, incident_id VARCHAR NOT NULL, PRIMARY KEY (tenant_id, alert_id))`
]

/** Reads bodies with their links, newest first; `where` filters `incidents i`. */
const selectIncidents = (where: string, paging = "") =>
  `SELECT i.body, (SELECT list(a.alert_id ORDER BY a.alert_id) FROM incident_alerts a WHERE a.tenant_id = i.tenant_id AND a.incident_id = i.id) AS alert_ids
   FROM incidents i WHERE ${where} ORDER BY i.updated_at DESC, i.id${paging}`

const incidentOfRow = (row: Record<string, unknown>): Incident =>
  decodeIncident({ ...JSON.parse(String(row.body)), alertIDs: (row.alert_ids as Array<string> | null) ?? [] })

/** LIMIT and OFFSET of a 1-based page, bounded as pageOf bounds it. */
const sqlPaging = (page: number, pageSize: number) => {
  const { offset, size } = pageBounds(page, pageSize)
  return ` LIMIT ${size} OFFSET ${offset}`
}

/** Builds the incident store over DuckDB, creating its tables if missing. */
export const make = Effect.gen(function* () {
  const db = yield* DuckDb
  for (const statement of Tables) yield* db.query(statement).pipe(Effect.mapError(toStoreError))

  const save = (incident: Incident) => {
    const { alertIDs: _links, ...body } = incident
    return db
      .query(`INSERT OR REPLACE INTO incidents (tenant_id, id, status, updated_at, body) VALUES (?, ?, ?, ?, ?)`, [
        incident.tenantID,
        uuidKey(incident.id),
        incident.status,
        incident.updatedAt,
        JSON.stringify(body)
      ])
      .pipe(Effect.asVoid, Effect.mapError(toStoreError))
  }

  const get = (tenantId: TenantId, id: IncidentId) =>
    db.query(selectIncidents(`i.tenant_id = ? AND i.id = ?`), [tenantId, uuidKey(id)]).pipe(
      Effect.map((rows) => Option.fromNullable(rows[0]).pipe(Option.map(incidentOfRow))),
      Effect.mapError(toStoreError)
    )

  const list = (query: IncidentQuery) => {
    if (query.tenantIds.length === 0) return Effect.succeed([])
    const where = [`i.tenant_id IN (${placeholders(query.tenantIds)})`]
    const params: Array<string> = [...query.tenantIds]
    if (query.ids.length > 0) {
      where.push(`i.id IN (${placeholders(query.ids)})`)
      params.push(...query.ids.map(uuidKey))
    }
    if (query.statuses.length > 0) {
      where.push(`i.status IN (${placeholders(query.statuses)})`)
      params.push(...query.statuses)
    }
    // A name is a JavaScript regular expression, so it filters here and paging follows it.
    const paging = query.name === undefined ? sqlPaging(query.page, query.pageSize) : ""
    return db.query(selectIncidents(where.join(" AND "), paging), params).pipe(
      Effect.map((rows) => {
        const incidents = rows.map(incidentOfRow)
        return query.name === undefined ? incidents : pageOf(incidents.filter(incidentMatches(query)), query.page, query.pageSize)
      }),
      Effect.mapError(toStoreError)
    )
  }

  const linkAlert = (tenantId: TenantId, incidentId: IncidentId, alertId: AlertId) =>
    // One connection turn: nothing else runs between the existence check, the claim and its read.
    db
      .withConnection("incident alert link", async (connection) => {
        const exists = (await connection.runAndReadAll(`SELECT 1 FROM incidents WHERE tenant_id = ? AND id = ?`, [tenantId, uuidKey(incidentId)])).currentRowCount > 0
        if (!exists) return { outcome: "missing" } as const
        await connection.run(`INSERT INTO incident_alerts (tenant_id, alert_id, incident_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, [
          tenantId,
          uuidKey(alertId),
          uuidKey(incidentId)
        ])
        const holder = (
          await connection.runAndReadAll(`SELECT incident_id FROM incident_alerts WHERE tenant_id = ? AND alert_id = ?`, [tenantId, uuidKey(alertId)])
        ).getRowObjectsJS()[0]?.incident_id
        return holder === uuidKey(incidentId) ? ({ outcome: "linked" } as const) : ({ outcome: "taken", holder: String(holder) as IncidentId } as const)
      })
      .pipe(
        Effect.mapError(toStoreError),
        Effect.flatMap(linkResult(alertId, incidentId))
      )

  const unlinkAlert = (tenantId: TenantId, incidentId: IncidentId, alertId: AlertId) =>
    db
      .query(`DELETE FROM incident_alerts WHERE tenant_id = ? AND alert_id = ? AND incident_id = ?`, [tenantId, uuidKey(alertId), uuidKey(incidentId)])
      .pipe(Effect.asVoid, Effect.mapError(toStoreError))

  const incidentOfAlert = (tenantId: TenantId, alertId: AlertId) =>
    db.query(`SELECT incident_id FROM incident_alerts WHERE tenant_id = ? AND alert_id = ?`, [tenantId, uuidKey(alertId)]).pipe(
      Effect.map((rows) => Option.fromNullable(rows[0]).pipe(Option.map((row) => String(row.incident_id) as IncidentId))),
      Effect.mapError(toStoreError)
    )

  const openIncidentsSharing = (tenantId: TenantId, assets: ReadonlyArray<string>, accounts: ReadonlyArray<string>, sinceMs: number) => {
    if (assets.length === 0 && accounts.length === 0) return Effect.succeed([])
    const assetSet = new Set(assets)
    const accountSet = new Set(accounts)
    return db.query(selectIncidents(`i.tenant_id = ? AND i.status <> 'closed' AND i.updated_at >= ?`), [tenantId, sinceMs]).pipe(
      Effect.map((rows) => rows.map(incidentOfRow).filter((incident) => isOpenAndSharing(incident, assetSet, accountSet, sinceMs))),
      Effect.mapError(toStoreError)
    )
  }

  return { save, get, list, linkAlert, unlinkAlert, incidentOfAlert, openIncidentsSharing }
})

/** The embedded incident store over the process's DuckDB. */
export const layerEmbedded: Layer.Layer<IncidentStore, IncidentStoreError, DuckDb> = Layer.effect(IncidentStore, make)
