// Every stream name, subject and durable name of a Corvus cluster is built here and nowhere
// else. The cluster name is part of each, so several clusters (or test runs) can share one
// NATS without seeing each other's data.
import { Context, Layer, Schema } from "effect"
import type { Correlation } from "../actors/Correlation.ts"
import type { NormalizedEvent } from "../model/Event.ts"
import type { CollectorId, CorrelatorId, RuleId, TenantId } from "../model/Ids.ts"
import { Trigger, type CorrelatorSource } from "../model/Rule.ts"
import type { Topic } from "./EventBus.ts"

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const decodeTrigger = Schema.decodeUnknownSync(Trigger)
const toJson = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value))
const fromJson = (bytes: Uint8Array): unknown => JSON.parse(decoder.decode(bytes))

/** The lease a partition owner held when it wrote a record: downstream rejects older epochs. */
export interface Fence {
  readonly partition: number
  readonly epoch: number
}

/** A correlation as the bus carries it; partition owners fence theirs. */
export type CorrelationRecord = Correlation & { readonly fence?: Fence }

/**
 * An operator's import into one active list, delivered through the partition's input like a
 * match so replay and handoff apply it at the same position (SPEC §7 activeLists/import). A large
 * import is cut into several records, each with its own `importId`; only the first may `clear`.
 */
export interface ListImport {
  /** Unique per import and part, for de-duplication. */
  readonly importId: string
  readonly list: string
  readonly records: ReadonlyArray<{ readonly key: string; readonly fields: Readonly<Record<string, string>> }>
  /** Empty the list before writing the records. */
  readonly clear: boolean
  /** Keys whose records are deleted before the records are written (SPEC §7 "active list item deleted"); absent in an import. */
  readonly deleteKeys?: ReadonlyArray<string>
  /** The importer's clock, unix ms: TTLs start there only when the engine has no stream time yet. */
  readonly at: number
}

/** One entry of a partition's input: a matching event with the router's stream time before it, a clock mark, or a list import. */
export interface MatchEntry {
  /** The router's stream time before the event, so the partition's windows end when the whole stream's do. */
  readonly streamTime: number | null
  readonly event?: NormalizedEvent
  /** Unique per router and mark, for de-duplication of clock marks. */
  readonly markId?: string
  /**
   * The events-stream sequence the event was routed from. A partition applies each source
   * sequence once: a router that routes again from its saved position (after a restart or a
   * handover) may cut its batches differently, so message ids alone would not find the repeats.
   * Absent on marks and on records from before batching.
   */
  readonly source?: number
  /** An import into one of the correlator's active lists (with `streamTime` null: it moves no clock). */
  readonly listImport?: ListImport
}

/**
 * What a router sends a correlator partition for one batch of the events stream: its entries
 * in order (the first inline, the rest in `more`), so one JetStream message carries them all.
 */
export interface PartitionMatch extends MatchEntry {
  readonly correlatorId: CorrelatorId
  readonly partition: number
  readonly more?: ReadonlyArray<MatchEntry>
  /**
   * The correlator revision the router routed it under; the partition moves to that revision
   * before applying it. Absent in records written before revisions existed: revision 1.
   */
  readonly revision?: number
}

/**
 * An event read back from one of the cluster's own streams. Collectors decoded it against the
 * schema at the edge; inside, only its identity is checked (a full schema decode per event and
 * per router was the largest share of a node's own CPU in a profile of bench:cluster).
 */
const trustedEvent = (value: unknown): NormalizedEvent => {
  const event = value as Partial<NormalizedEvent> | null
  if (
    typeof event !== "object" ||
    event === null ||
    typeof event.ID !== "string" ||
    typeof event.Timestamp !== "number" ||
    typeof event.TenantID !== "string" ||
    typeof event.Type !== "number"
  ) {
    throw new Error("event without ID, Timestamp, TenantID or Type")
  }
  return event as NormalizedEvent
}

const isTextRecord = (value: unknown): value is Record<string, string> =>
  typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((field) => typeof field === "string")

const decodeListImport = (raw: unknown): ListImport => {
  const value = raw as { importId?: unknown; list?: unknown; records?: unknown; clear?: unknown; deleteKeys?: unknown; at?: unknown } | null
  if (typeof value !== "object" || value === null || typeof value.importId !== "string" || typeof value.list !== "string" || typeof value.clear !== "boolean" || typeof value.at !== "number") {
    throw new Error("list import incomplete")
  }
  if (!Array.isArray(value.records)) throw new Error("list import records invalid")
  const records = value.records.map((record: { key?: unknown; fields?: unknown } | null) => {
    if (typeof record !== "object" || record === null || typeof record.key !== "string" || !isTextRecord(record.fields)) throw new Error("list import record invalid")
    return { key: record.key, fields: record.fields }
  })
  if (value.deleteKeys !== undefined && !(Array.isArray(value.deleteKeys) && value.deleteKeys.every((key) => typeof key === "string"))) throw new Error("list import deleteKeys invalid")
  return {
    importId: value.importId,
    list: value.list,
    records,
    clear: value.clear,
    ...(value.deleteKeys !== undefined ? { deleteKeys: value.deleteKeys as Array<string> } : {}),
    at: value.at
  }
}

const decodeMatchEntry = (raw: unknown): MatchEntry => {
  const value = raw as { streamTime?: unknown; event?: unknown; markId?: unknown; source?: unknown; listImport?: unknown }
  if (value.streamTime !== null && typeof value.streamTime !== "number") throw new Error("match stream time invalid")
  return {
    streamTime: value.streamTime,
    ...(value.event !== undefined ? { event: trustedEvent(value.event) } : {}),
    ...(typeof value.markId === "string" ? { markId: value.markId } : {}),
    ...(Number.isSafeInteger(value.source) && (value.source as number) >= 1 ? { source: value.source as number } : {}),
    ...(value.listImport !== undefined ? { listImport: decodeListImport(value.listImport) } : {})
  }
}

/** The entries of a match record, in order. */
export const entriesOf = (match: PartitionMatch): ReadonlyArray<MatchEntry> => (match.more === undefined ? [match] : [match, ...match.more])

/** The revision a match was routed under (records from before revisions: 1). */
export const revisionOf = (match: PartitionMatch): number => match.revision ?? 1

/** A normalized event together with the collector that published it. */
export interface CollectedEvent {
  readonly collectorId: CollectorId
  readonly event: NormalizedEvent
  /**
   * Set on a correlation event passed on by a rule's "send to other correlators" action
   * (`collectorId` is then the sending correlator): only these correlators take it, whatever
   * their sources say, and no other correlator does.
   */
  readonly forwardedTo?: ReadonlyArray<CorrelatorId>
}

export interface TopicsShape {
  /** Normalized base events, as collectors publish them: `corvus.<cluster>.events.<tenant>.<collector>`. */
  readonly events: Topic<CollectedEvent>
  /** Correlation events with the facts the alert service groups by: `corvus.<cluster>.correlations.<tenant>.<correlator>`. */
  readonly correlations: Topic<CorrelationRecord>
  /** Routed matches per correlator partition: `corvus.<cluster>.matches.<correlator>.<partition>`. */
  readonly matches: Topic<PartitionMatch>
  /** The subject of one correlator partition's matches. */
  readonly matchSubject: (correlatorId: CorrelatorId, partition: number) => string
  /** The subjects a correlator source covers. */
  readonly sourceSubject: (source: CorrelatorSource) => string
  readonly durables: {
    readonly storage: string
    readonly correlationStorage: string
    readonly alerts: string
    readonly correlator: (correlatorId: CorrelatorId) => string
    readonly router: (correlatorId: CorrelatorId) => string
  }
}

export class Topics extends Context.Tag("corvus/Topics")<Topics, TopicsShape>() {}

/** The names of cluster `clusterName` (letters, digits, `_` and `-`). */
export const make = (clusterName: string): TopicsShape => {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(clusterName)) throw new Error(`invalid cluster name '${clusterName}'`)
  const streamPrefix = `CORVUS_${clusterName.toUpperCase().replaceAll("-", "_")}`
  const subjectPrefix = `corvus.${clusterName}`
  const eventSubject = (tenantId: TenantId, collectorId: string) => `${subjectPrefix}.events.${tenantId}.${collectorId}`
  const correlationSubject = (tenantId: TenantId, correlatorId: CorrelatorId) => `${subjectPrefix}.correlations.${tenantId}.${correlatorId}`
  const matchSubject = (correlatorId: CorrelatorId, partition: number) => `${subjectPrefix}.matches.${correlatorId}.${partition}`

  return {
    events: {
      stream: `${streamPrefix}_EVENTS`,
      subjects: [`${subjectPrefix}.events.>`],
      subjectOf: (record) => eventSubject(record.event.TenantID, record.collectorId),
      idOf: (record) => record.event.ID,
      encode: (record) => toJson(record),
      decode: (bytes) => {
        const value = fromJson(bytes) as { collectorId?: unknown; event?: unknown; forwardedTo?: unknown }
        if (typeof value.collectorId !== "string") throw new Error("collectorId missing")
        if (value.forwardedTo !== undefined && !(Array.isArray(value.forwardedTo) && value.forwardedTo.every((id) => typeof id === "string"))) throw new Error("forwardedTo invalid")
        return {
          collectorId: value.collectorId as CollectorId,
          event: trustedEvent(value.event),
          ...(value.forwardedTo !== undefined ? { forwardedTo: value.forwardedTo as Array<CorrelatorId> } : {})
        }
      }
    },
    correlations: {
      stream: `${streamPrefix}_CORRELATIONS`,
      subjects: [`${subjectPrefix}.correlations.>`],
      subjectOf: (record) => correlationSubject(record.event.TenantID, record.correlatorId),
      // The deterministic correlation-event ID makes a re-emission by the same owner a duplicate.
      // A successor's copy (a newer epoch) is not one: were the stale owner's copy the only one
      // kept, the fence would refuse it and the correlation would be lost. Consumers are
      // idempotent by event ID, so the successor's copy changes nothing downstream.
      idOf: (record) => (record.fence === undefined ? record.event.ID : `${record.event.ID}.${record.fence.epoch}`),
      encode: (record) => toJson(record),
      decode: (bytes) => {
        const value = fromJson(bytes) as {
          correlatorId?: unknown
          ruleId?: unknown
          groupKey?: unknown
          trigger?: unknown
          createAlert?: unknown
          sendTo?: unknown
          event?: unknown
          fence?: { partition?: unknown; epoch?: unknown }
        }
        if (typeof value.correlatorId !== "string" || typeof value.ruleId !== "string" || typeof value.groupKey !== "string") {
          throw new Error("correlation envelope incomplete")
        }
        return {
          correlatorId: value.correlatorId as CorrelatorId,
          ruleId: value.ruleId as RuleId,
          groupKey: value.groupKey,
          trigger: decodeTrigger(value.trigger),
          createAlert: value.createAlert !== false,
          sendTo: Array.isArray(value.sendTo) ? (value.sendTo.filter((id) => typeof id === "string") as Array<CorrelatorId>) : [],
          event: trustedEvent(value.event),
          ...(Number.isInteger(value.fence?.partition) && Number.isInteger(value.fence?.epoch)
            ? { fence: { partition: value.fence!.partition as number, epoch: value.fence!.epoch as number } }
            : {})
        }
      }
    },
    matches: {
      stream: `${streamPrefix}_MATCHES`,
      subjects: [`${subjectPrefix}.matches.>`],
      subjectOf: (record) => matchSubject(record.correlatorId, record.partition),
      // A router's redelivered batch routes the same events to the same partitions: de-duplicated.
      idOf: (record) => {
        const last = record.more?.[record.more.length - 1]
        const first = `${record.correlatorId}.${record.partition}.${record.event?.ID ?? record.markId ?? record.listImport?.importId ?? ""}`
        return last === undefined ? first : `${first}..${last.event?.ID ?? last.markId ?? last.listImport?.importId ?? ""}`
      },
      encode: (record) => toJson(record),
      decode: (bytes) => {
        const value = fromJson(bytes) as { correlatorId?: unknown; partition?: unknown; more?: unknown; revision?: unknown }
        if (typeof value.correlatorId !== "string" || !Number.isInteger(value.partition)) throw new Error("match envelope incomplete")
        if (value.more !== undefined && !Array.isArray(value.more)) throw new Error("match entries invalid")
        return {
          correlatorId: value.correlatorId as CorrelatorId,
          partition: value.partition as number,
          ...decodeMatchEntry(value),
          ...(Array.isArray(value.more) && value.more.length > 0 ? { more: value.more.map(decodeMatchEntry) } : {}),
          ...(Number.isSafeInteger(value.revision) && (value.revision as number) >= 1 ? { revision: value.revision as number } : {})
        }
      }
    },
    matchSubject,
    sourceSubject: (source) => `${subjectPrefix}.events.${source.tenantId}.${source.collectorId ?? "*"}`,
    durables: {
      storage: "storage",
      correlationStorage: "storage-correlations",
      alerts: "alerts",
      correlator: (correlatorId) => `correlator-${correlatorId}`,
      router: (correlatorId) => `router-${correlatorId}`
    }
  }
}

/** The names of one cluster as a layer. */
export const layer = (clusterName: string): Layer.Layer<Topics> => Layer.sync(Topics, () => make(clusterName))
