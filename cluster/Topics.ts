// Every stream name and subject of the cluster is built here and nowhere else.
import type { Correlation } from "../actors/Correlation.ts"
import { decodeEventSync, type NormalizedEvent } from "../model/Event.ts"
import type { CollectorId, CorrelatorId, RuleId, TenantId } from "../model/Ids.ts"
import type { CorrelatorSource } from "../model/Rule.ts"
import type { Topic } from "./EventBus.ts"

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const toJson = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value))
const fromJson = (bytes: Uint8Array): unknown => JSON.parse(decoder.decode(bytes))

/** The subject of events a collector publishes: `corvus.events.<tenant>.<collector>`. */
export const eventSubject = (tenantId: TenantId, collectorId: string): string => `corvus.events.${tenantId}.${collectorId}`

/** The subjects a correlator source covers. */
export const sourceSubject = (source: CorrelatorSource): string =>
  `corvus.events.${source.tenantId}.${source.collectorId ?? "*"}`

/** A normalized event together with the collector that published it. */
export interface CollectedEvent {
  readonly collectorId: CollectorId
  readonly event: NormalizedEvent
}

/** Normalized base events, as collectors publish them. */
export const EventsTopic: Topic<CollectedEvent> = {
  stream: "CORVUS_EVENTS",
  subjects: ["corvus.events.>"],
  subjectOf: (record) => eventSubject(record.event.TenantID, record.collectorId),
  idOf: (record) => record.event.ID,
  encode: (record) => toJson(record),
  decode: (bytes) => {
    const value = fromJson(bytes) as { collectorId?: unknown; event?: unknown }
    if (typeof value.collectorId !== "string") throw new Error("collectorId missing")
    return { collectorId: value.collectorId as CollectorId, event: decodeEventSync(value.event) }
  }
}

/** The subject of a correlator's output: `corvus.correlations.<owner tenant>.<correlator>`. */
export const correlationSubject = (tenantId: TenantId, correlatorId: CorrelatorId): string =>
  `corvus.correlations.${tenantId}.${correlatorId}`

/** Correlation events with the facts the alert service groups by. */
export const CorrelationsTopic: Topic<Correlation> = {
  stream: "CORVUS_CORRELATIONS",
  subjects: ["corvus.correlations.>"],
  subjectOf: (record) => correlationSubject(record.event.TenantID, record.correlatorId),
  // The deterministic correlation-event ID makes a re-emission after replay a duplicate.
  idOf: (record) => record.event.ID,
  encode: (record) => toJson(record),
  decode: (bytes) => {
    const value = fromJson(bytes) as { correlatorId?: unknown; ruleId?: unknown; groupKey?: unknown; event?: unknown }
    if (typeof value.correlatorId !== "string" || typeof value.ruleId !== "string" || typeof value.groupKey !== "string") {
      throw new Error("correlation envelope incomplete")
    }
    return {
      correlatorId: value.correlatorId as CorrelatorId,
      ruleId: value.ruleId as RuleId,
      groupKey: value.groupKey,
      event: decodeEventSync(value.event)
    }
  }
}

/** Durable consumer names. */
export const Durables = {
  storage: "storage",
  correlationStorage: "storage-correlations",
  alerts: "alerts",
  correlator: (correlatorId: CorrelatorId): string => `correlator-${correlatorId}`
} as const
