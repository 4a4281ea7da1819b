// The gateway's port to the active lists of running correlators (SPEC §7, activeLists): which
// lists a correlator has and how many records each holds, reading a list's records, writing
// imported records into one and deleting records from it.
// The lists live in the correlation engine inside the cluster's partition actors; the cluster
// provides the production implementation, the in-memory one stands in for it in tests.
import { createHash } from "node:crypto"
import { Context, Data, Effect, Layer, Option } from "effect"
import { RE2JS } from "re2js"
import type { ApiContext } from "./ApiContext.ts"
import type { TenantId } from "../model/Ids.ts"

/** One active list of a correlator, as GET /activeLists answers it. */
export interface ActiveListSummary {
  readonly id: string
  readonly name: string
  readonly count: number
}

/** A running correlator's owner tenant and lists. */
export interface CorrelatorActiveLists {
  readonly tenantID: TenantId
  readonly lists: ReadonlyArray<ActiveListSummary>
}

/** One record to write: its key and its fields. */
export interface ActiveListImportRecord {
  readonly key: string
  readonly fields: Readonly<Record<string, string>>
}

/** One record of an active list as the API shows it; times are the correlator's stream time, unix ms. */
export interface ActiveListEntry {
  readonly key: string
  readonly fields: Readonly<Record<string, string>>
  /** When the record was written; undefined where the implementation does not know. */
  readonly createdAt: number | undefined
  /** When it expires; undefined for a record that never does. */
  readonly expiresAt: number | undefined
}

/** Which records of a list to read: those whose key matches `keyPattern` (a case-insensitive RE2 pattern the caller has checked), in key order, `limit` from `offset`. */
export interface ActiveListRecordsQuery {
  readonly keyPattern: string | undefined
  readonly offset: number
  readonly limit: number
}

/** A page of a list's records and how many match in all. */
export interface ActiveListRecordsPage {
  readonly total: number
  readonly records: ReadonlyArray<ActiveListEntry>
}

/** The correlator could not be reached or refused the write; the client sees a 503 without the cause. */
export class ActiveListImporterError extends Data.TaggedError("ActiveListImporterError")<{ readonly message: string; readonly cause?: unknown }> {}

export interface ActiveListImporterShape {
  /** The correlator's tenant and lists; none when no such correlator runs. */
  readonly lists: (correlatorId: string) => Effect.Effect<Option.Option<CorrelatorActiveLists>, ActiveListImporterError>
  /** Writes `records` into the correlator's list named `listName`, emptying the list first when `clear`; a later record with a known key replaces it. */
  readonly importRecords: (correlatorId: string, listName: string, records: ReadonlyArray<ActiveListImportRecord>, clear: boolean) => Effect.Effect<void, ActiveListImporterError>
  /** A page of the records of the correlator's list named `listName`, in key order. */
  readonly listRecords: (correlatorId: string, listName: string, query: ActiveListRecordsQuery) => Effect.Effect<ActiveListRecordsPage, ActiveListImporterError>
  /** Deletes the records of `keys` (unknown keys are skipped) from the correlator's list named `listName`. */
  readonly deleteRecords: (correlatorId: string, listName: string, keys: ReadonlyArray<string>) => Effect.Effect<void, ActiveListImporterError>
  /** Every record of the correlator's list named `listName`, in key order, for an export. */
  readonly exportRecords: (correlatorId: string, listName: string) => Effect.Effect<ReadonlyArray<ActiveListEntry>, ActiveListImporterError>
}

export class ActiveListImporter extends Context.Tag("corvus/ActiveListImporter")<ActiveListImporter, ActiveListImporterShape>() {}

/** The id an active list is known by: stable for a correlator and list name, UUID-shaped as KUMA's are. */
export const activeListIdOf = (correlatorId: string, listName: string): string => {
  const hex = createHash("sha256").update(`active-list:${correlatorId}:${listName}`).digest("hex")
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

/** A correlator of the in-memory importer: its tenant and declared list names. */
export interface MemoryCorrelator {
  readonly id: string
  readonly tenantID: TenantId
  readonly lists: ReadonlyArray<string>
}

/** The in-memory importer with what it holds, so tests can read the records written. */
export interface MemoryActiveLists extends ActiveListImporterShape {
  readonly records: (correlatorId: string, listName: string) => ReadonlyMap<string, Readonly<Record<string, string>>>
}

/** Correlators held in memory, each with its lists of records by key. */
export const makeMemory = (correlators: ReadonlyArray<MemoryCorrelator>): MemoryActiveLists => {
  const held = new Map(correlators.map((correlator) => [correlator.id, { correlator, lists: new Map(correlator.lists.map((name) => [name, new Map<string, Readonly<Record<string, string>>>()])) }]))
  const listOf = (correlatorId: string, listName: string) => {
    const list = held.get(correlatorId)?.lists.get(listName)
    return list === undefined ? Effect.fail(new ActiveListImporterError({ message: `no list ${listName} in correlator ${correlatorId}` })) : Effect.succeed(list)
  }
  // Key order as the engine keeps it (UTF-16 code units); records that never expire.
  const entriesOf = (list: ReadonlyMap<string, Readonly<Record<string, string>>>, keyPattern: string | undefined): Array<ActiveListEntry> => {
    const pattern = keyPattern === undefined ? undefined : RE2JS.compile(keyPattern, RE2JS.CASE_INSENSITIVE)
    return [...list]
      .filter(([key]) => pattern === undefined || pattern.test(key))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, fields]) => ({ key, fields, createdAt: undefined, expiresAt: undefined }))
  }
  return {
    listRecords: (correlatorId, listName, query) =>
      Effect.map(listOf(correlatorId, listName), (list) => {
        const entries = entriesOf(list, query.keyPattern)
        return { total: entries.length, records: entries.slice(query.offset, query.offset + query.limit) }
      }),
    deleteRecords: (correlatorId, listName, keys) =>
      Effect.map(listOf(correlatorId, listName), (list) => {
        for (const key of keys) list.delete(key)
      }),
    exportRecords: (correlatorId, listName) => Effect.map(listOf(correlatorId, listName), (list) => entriesOf(list, undefined)),
    lists: (correlatorId) =>
      Effect.sync(() =>
        Option.map(Option.fromNullable(held.get(correlatorId)), ({ correlator, lists }) => ({
          tenantID: correlator.tenantID,
          lists: [...lists].map(([name, records]) => ({ id: activeListIdOf(correlatorId, name), name, count: records.size }))
        }))
      ),
    importRecords: (correlatorId, listName, records, clear) =>
      Effect.suspend(() => {
        const list = held.get(correlatorId)?.lists.get(listName)
        if (list === undefined) return Effect.fail(new ActiveListImporterError({ message: `no list ${listName} in correlator ${correlatorId}` }))
        if (clear) list.clear()
        for (const record of records) list.set(record.key, record.fields)
        return Effect.void
      }),
    records: (correlatorId, listName) => held.get(correlatorId)?.lists.get(listName) ?? new Map()
  }
}

/** The in-memory importer as a layer. */
export const layerMemory = (correlators: ReadonlyArray<MemoryCorrelator>): Layer.Layer<ActiveListImporter> => Layer.sync(ActiveListImporter, () => makeMemory(correlators))

/** Where no correlator is wired to the gateway: every correlator id reads as one that does not run. */
export const noCorrelators: ActiveListImporterShape = {
  lists: () => Effect.succeed(Option.none()),
  importRecords: (correlatorId) => Effect.fail(new ActiveListImporterError({ message: `correlator ${correlatorId} is not wired to the gateway` })),
  listRecords: (correlatorId) => Effect.fail(new ActiveListImporterError({ message: `correlator ${correlatorId} is not wired to the gateway` })),
  deleteRecords: (correlatorId) => Effect.fail(new ActiveListImporterError({ message: `correlator ${correlatorId} is not wired to the gateway` })),
  exportRecords: (correlatorId) => Effect.fail(new ActiveListImporterError({ message: `correlator ${correlatorId} is not wired to the gateway` }))
}

/** The importer the API server was given, or `noCorrelators`. */
export const activeListImporterOf = (context: ApiContext): ActiveListImporterShape => context.activeListImporter ?? noCorrelators
