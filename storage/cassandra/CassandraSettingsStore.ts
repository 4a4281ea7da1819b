// The cluster settings store on Cassandra: one row per tenant, the settings as a JSON body.
import { Effect, Layer, Option, Schema } from "effect"
import type { TenantId } from "../../model/Ids.ts"
import { Settings } from "../../model/Settings.ts"
import { SettingsStore, SettingsStoreError } from "../SettingsStore.ts"
import { CassandraClient } from "./CassandraClient.ts"
import { Tables } from "./CassandraTables.ts"

const decodeSettings = Schema.decodeUnknownSync(Settings)

/** Builds the settings store over the Cassandra session. */
export const make = Effect.gen(function* () {
  const { client } = yield* CassandraClient
  const run = <A>(message: string, work: () => Promise<A>) =>
    Effect.tryPromise({ try: work, catch: (cause) => new SettingsStoreError({ message, cause }) })

  const save = (settings: Settings) =>
    run("settings write failed", async () => {
      await client.execute(`INSERT INTO ${Tables.tenantSettings} (tenant_id, body) VALUES (?, ?)`, [settings.tenantID, JSON.stringify(settings)], { prepare: true })
    })

  const get = (tenantId: TenantId) =>
    run("settings read failed", async () => {
      const row = (await client.execute(`SELECT body FROM ${Tables.tenantSettings} WHERE tenant_id = ?`, [tenantId], { prepare: true })).first()
      return row === null ? Option.none() : Option.some(decodeSettings(JSON.parse(String(row.get("body")))))
    })

  return { save, get }
})

/** The Cassandra settings store over the process's session. */
export const layer: Layer.Layer<SettingsStore, never, CassandraClient> = Layer.effect(SettingsStore, make)
