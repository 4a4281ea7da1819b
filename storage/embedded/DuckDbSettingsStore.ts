// The embedded settings store on DuckDB: one row per tenant, the settings as a JSON body.
import { Effect, Layer, Option, Schema } from "effect"
import type { TenantId } from "../../model/Ids.ts"
import { Settings } from "../../model/Settings.ts"
import { SettingsStore, SettingsStoreError } from "../SettingsStore.ts"
import { DuckDb, type DuckDbError } from "./DuckDb.ts"

const decodeSettings = Schema.decodeUnknownSync(Settings)
const toStoreError = (error: DuckDbError) => new SettingsStoreError({ message: error.message, cause: error.cause })

const CreateTable = `CREATE TABLE IF NOT EXISTS tenant_settings (tenant_id VARCHAR PRIMARY KEY, body VARCHAR NOT NULL)`

/** Builds the settings store over DuckDB, creating its table if missing. */
export const make = Effect.gen(function* () {
  const db = yield* DuckDb
  yield* db.query(CreateTable).pipe(Effect.mapError(toStoreError))

  const save = (settings: Settings) =>
    db
      .query(`INSERT OR REPLACE INTO tenant_settings (tenant_id, body) VALUES (?, ?)`, [settings.tenantID, JSON.stringify(settings)])
      .pipe(Effect.asVoid, Effect.mapError(toStoreError))

  const get = (tenantId: TenantId) =>
    db.query(`SELECT body FROM tenant_settings WHERE tenant_id = ?`, [tenantId]).pipe(
      Effect.map((rows) => Option.fromNullable(rows[0]).pipe(Option.map((row) => decodeSettings(JSON.parse(String(row.body)))))),
      Effect.mapError(toStoreError)
    )

  return { save, get }
})

/** The embedded settings store over the process's DuckDB. */
export const layerEmbedded: Layer.Layer<SettingsStore, SettingsStoreError, DuckDb> = Layer.effect(SettingsStore, make)
