// The cluster alert store on Cassandra: one partition of alerts per tenant, plus the group
// pointer that lets a firing find the alert it extends. Every write is a lightweight
// transaction (compare-and-set): concurrent writers cannot lose each other's changes.
import cassandra from "cassandra-driver"
import { Effect, Layer, Option, Schema } from "effect"
import { Alert } from "../../model/Alert.ts"
import type { AlertId, TenantId } from "../../model/Ids.ts"
import { AlertChanged, AlertStore, AlertStoreError, type AlertGroupRef, type AlertQuery, type GroupHead, type StoredAlert } from "../AlertStore.ts"
import { CassandraClient } from "./CassandraClient.ts"
import { readAllRows } from "./CassandraPaging.ts"
import { Tables } from "./CassandraTables.ts"

const decodeAlert = Schema.decodeUnknownSync(Alert)

export const make = Effect.gen(function* () {
  const { client } = yield* CassandraClient
  const run = <A>(message: string, work: () => Promise<A>) =>
    Effect.tryPromise({ try: work, catch: (cause) => new AlertStoreError({ message, cause }) })

  const columns = (alert: Alert) => [alert.status, new Date(alert.firstSeen), new Date(alert.lastSeen), JSON.stringify(alert)]
  // A lightweight transaction answers whether it applied in the `[applied]` column.
  const applied = (result: cassandra.types.ResultSet): boolean => result.first()?.get("[applied]") === true
  const conditional = (alert: Alert, message: string, work: () => Promise<cassandra.types.ResultSet>) =>
    run(message, work).pipe(Effect.flatMap((result) => (applied(result) ? Effect.void : Effect.fail(new AlertChanged({ tenantId: alert.tenantID, id: alert.id })))))

  const create = (alert: Alert) =>
    conditional(alert, "alert write failed", () =>
      client.execute(
        `INSERT INTO ${Tables.alerts} (tenant_id, id, status, first_seen, last_seen, body, revision) VALUES (?, ?, ?, ?, ?, ?, 1) IF NOT EXISTS`,
        [alert.tenantID, alert.id, ...columns(alert)],
        { prepare: true }
      )
    )

  const update = (alert: Alert, revision: number) =>
    conditional(alert, "alert write failed", () =>
      client.execute(
        `UPDATE ${Tables.alerts} SET status = ?, first_seen = ?, last_seen = ?, body = ?, revision = ? WHERE tenant_id = ? AND id = ? IF revision = ?`,
        [...columns(alert), revision + 1, alert.tenantID, alert.id, revision],
        { prepare: true }
      )
    )

  const pointGroup = (alert: Alert, previous: AlertId | undefined) =>
    conditional(alert, "alert group write failed", () =>
      previous === undefined
        ? client.execute(
            `INSERT INTO ${Tables.alertGroups} (tenant_id, correlator_id, rule_id, group_key, alert_id) VALUES (?, ?, ?, ?, ?) IF NOT EXISTS`,
            [alert.tenantID, alert.correlatorID, alert.correlationRuleID, alert.groupKey, alert.id],
            { prepare: true }
          )
        : client.execute(
            `UPDATE ${Tables.alertGroups} SET alert_id = ? WHERE tenant_id = ? AND correlator_id = ? AND rule_id = ? AND group_key = ? IF alert_id = ?`,
            [alert.id, alert.tenantID, alert.correlatorID, alert.correlationRuleID, alert.groupKey, previous],
            { prepare: true }
          )
    )

  const get = (tenantId: TenantId, id: AlertId) =>
    run("alert read failed", async () => {
      // A stale read costs a retry, never a lost write: every write is conditional on what was read.
      const result = await client.execute(`SELECT body, revision FROM ${Tables.alerts} WHERE tenant_id = ? AND id = ?`, [tenantId, id], { prepare: true })
      const row = result.first()
      return row === null ? Option.none() : Option.some<StoredAlert>({ alert: decodeAlert(JSON.parse(String(row.get("body")))), revision: Number(row.get("revision") ?? 0) })
    })

  const groupHead = (group: AlertGroupRef) =>
    run("alert group read failed", async () => {
      const result = await client.execute(
        `SELECT alert_id FROM ${Tables.alertGroups} WHERE tenant_id = ? AND correlator_id = ? AND rule_id = ? AND group_key = ?`,
        [group.tenantId, group.correlatorId, group.ruleId, group.groupKey],
        { prepare: true }
      )
      return result.first()?.get("alert_id")?.toString() as AlertId | undefined
    }).pipe(
      Effect.flatMap((alertId) =>
        alertId === undefined ? Effect.succeed(Option.none<GroupHead>()) : Effect.map(get(group.tenantId, alertId), (stored) => Option.some<GroupHead>({ alertId, stored }))
      )
    )

  const list = (query: AlertQuery) =>
    run("alert list failed", async () => {
      const alerts: Array<Alert> = []
      for (const tenantId of query.tenantIds) {
        for (const row of await readAllRows(client, `SELECT body FROM ${Tables.alerts} WHERE tenant_id = ?`, [tenantId])) {
          alerts.push(decodeAlert(JSON.parse(String(row.get("body")))))
        }
      }
      const ids = new Set<string>(query.ids)
      const statuses = new Set<string>(query.statuses)
      const selected = alerts.filter((alert) => {
        const time = query.timestampField === "firstSeen" ? alert.firstSeen : alert.lastSeen
        return (
          (ids.size === 0 || ids.has(alert.id)) &&
          (statuses.size === 0 || statuses.has(alert.status)) &&
          (query.name === undefined || query.name.test(alert.name)) &&
          (query.from === undefined || time >= query.from) &&
          (query.to === undefined || time <= query.to)
        )
      })
      selected.sort((a, b) => b.lastSeen - a.lastSeen || (a.id < b.id ? -1 : 1))
      const offset = (query.page - 1) * query.pageSize
      return selected.slice(offset, offset + query.pageSize)
    })

  return { create, update, pointGroup, get, groupHead, list }
})

/** The Cassandra alert store over the process's session. */
export const layer: Layer.Layer<AlertStore, never, CassandraClient> = Layer.effect(AlertStore, make)
