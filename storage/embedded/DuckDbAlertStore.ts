// The embedded alert store on DuckDB: alerts as JSON bodies with the columns lists filter on.
import { Effect, Layer, Option } from "effect"
import { Alert } from "../../model/Alert.ts"
import type { AlertId, TenantId } from "../../model/Ids.ts"
import { Schema } from "effect"
import { AlertChanged, AlertStore, AlertStoreError, type AlertGroupRef, type AlertQuery, type GroupHead, type StoredAlert } from "../AlertStore.ts"
import { DuckDb, type DuckDbError } from "./DuckDb.ts"

const decodeAlert = Schema.decodeUnknownSync(Alert)
const toStoreError = (error: DuckDbError) => new AlertStoreError({ message: error.message, cause: error.cause })

/** The key of a group in alert_groups; fields joined by a unit separator. */
const groupRef = (group: AlertGroupRef): string =>
  [group.tenantId, group.correlatorId, group.ruleId, group.groupKey].join("\u001f")

export const make = Effect.gen(function* () {
  const db = yield* DuckDb

  // RETURNING says whether a conditional statement wrote anything.
  const conditional = (alert: Alert, sql: string, params: ReadonlyArray<string | number>) =>
    db.query(sql, params).pipe(
      Effect.mapError(toStoreError),
      Effect.flatMap((rows) => (rows.length > 0 ? Effect.void : Effect.fail(new AlertChanged({ tenantId: alert.tenantID, id: alert.id }))))
    )

  const create = (alert: Alert) =>
    conditional(
      alert,
      `INSERT INTO alerts (id, tenant_id, status, first_seen, last_seen, body, revision) VALUES (?, ?, ?, ?, ?, ?, 1) ON CONFLICT DO NOTHING RETURNING id`,
      [alert.id, alert.tenantID, alert.status, alert.firstSeen, alert.lastSeen, JSON.stringify(alert)]
    )

  const update = (alert: Alert, revision: number) =>
    conditional(
      alert,
      `UPDATE alerts SET status = ?, first_seen = ?, last_seen = ?, body = ?, revision = ? WHERE tenant_id = ? AND id = ? AND revision = ? RETURNING id`,
      [alert.status, alert.firstSeen, alert.lastSeen, JSON.stringify(alert), revision + 1, alert.tenantID, alert.id, revision]
    )

  const pointGroup = (alert: Alert, previous: AlertId | undefined) => {
    const ref = groupRef({ tenantId: alert.tenantID, correlatorId: alert.correlatorID, ruleId: alert.correlationRuleID, groupKey: alert.groupKey })
    return previous === undefined
      ? conditional(alert, `INSERT INTO alert_groups (group_ref, alert_id) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING alert_id`, [ref, alert.id])
      : conditional(alert, `UPDATE alert_groups SET alert_id = ? WHERE group_ref = ? AND alert_id = ? RETURNING alert_id`, [alert.id, ref, previous])
  }

  const stored = (row: Record<string, unknown>): StoredAlert => ({ alert: decodeAlert(JSON.parse(String(row.body))), revision: Number(row.revision) })

  const get = (tenantId: TenantId, id: AlertId) =>
    db.query(`SELECT body, revision FROM alerts WHERE tenant_id = ? AND id = ?`, [tenantId, id]).pipe(
      Effect.map((rows) => Option.fromNullable(rows[0]).pipe(Option.map(stored))),
      Effect.mapError(toStoreError)
    )

  const groupHead = (group: AlertGroupRef) =>
    db
      .query(`SELECT g.alert_id, a.body, a.revision FROM alert_groups g LEFT JOIN alerts a ON a.id = g.alert_id WHERE g.group_ref = ?`, [groupRef(group)])
      .pipe(
        Effect.map((rows) =>
          Option.fromNullable(rows[0]).pipe(
            Option.map((row): GroupHead => ({ alertId: String(row.alert_id) as AlertId, stored: row.body === null ? Option.none() : Option.some(stored(row)) }))
          )
        ),
        Effect.mapError(toStoreError)
      )

  const list = (query: AlertQuery) => {
    if (query.tenantIds.length === 0) return Effect.succeed([])
    const where: Array<string> = [`tenant_id IN (${query.tenantIds.map(() => "?").join(", ")})`]
    const params: Array<string | number> = [...query.tenantIds]
    if (query.ids.length > 0) {
      where.push(`id IN (${query.ids.map(() => "?").join(", ")})`)
      params.push(...query.ids)
    }
    if (query.statuses.length > 0) {
      where.push(`status IN (${query.statuses.map(() => "?").join(", ")})`)
      params.push(...query.statuses)
    }
    const column = query.timestampField === "firstSeen" ? "first_seen" : "last_seen"
    if (query.from !== undefined) {
      where.push(`${column} >= ?`)
      params.push(query.from)
    }
    if (query.to !== undefined) {
      where.push(`${column} <= ?`)
      params.push(query.to)
    }
    const offset = (query.page - 1) * query.pageSize
    const name = query.name
    // A name pattern is a JavaScript regular expression, so it filters here and paging follows it.
    const paging = name === undefined ? ` LIMIT ${query.pageSize} OFFSET ${offset}` : ""
    return db.query(`SELECT body FROM alerts WHERE ${where.join(" AND ")} ORDER BY last_seen DESC, id${paging}`, params).pipe(
      Effect.map((rows) => {
        const alerts = rows.map((row) => decodeAlert(JSON.parse(String(row.body))))
        return name === undefined ? alerts : alerts.filter((alert) => name.test(alert.name)).slice(offset, offset + query.pageSize)
      }),
      Effect.mapError(toStoreError)
    )
  }

  return { create, update, pointGroup, get, groupHead, list }
})

/** The embedded alert store over the process's DuckDB. */
export const layerEmbedded: Layer.Layer<AlertStore, never, DuckDb> = Layer.effect(AlertStore, make)
