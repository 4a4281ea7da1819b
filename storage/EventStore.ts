// The event store port: idempotent writes of normalized events (same ID, same row), ordered
// scans by tenants, period and filter, and retention by whole partitions. Implementations:
// Cassandra (cluster), DuckDB (embedded). Searches with aggregates are built on `scan`.
import { Context, Data, Effect } from "effect"
import type { NormalizedEvent } from "../model/Event.ts"
import type { Filter } from "../model/Filter.ts"
import type { TenantId } from "../model/Ids.ts"

/** A scan over stored events; the caller has already limited `tenantIds` to what it may see. */
export interface EventScan {
  readonly tenantIds: ReadonlyArray<TenantId>
  /** Period, epoch ms, inclusive. */
  readonly from: number
  readonly to: number
  readonly filter: Filter
  /** By (Timestamp, ID): ascending, or newest first. */
  readonly order: "asc" | "desc"
}

/** A scan that stops after `limit` events. */
export interface EventQuery extends EventScan {
  readonly limit: number
}

/**
 * Receives the matching events in scan order, a batch at a time; returning false stops the scan.
 * A batch is only valid during the call.
 */
export type EventVisitor = (events: ReadonlyArray<NormalizedEvent>) => boolean

/** What a retention pass removed for one tenant. */
export interface ExpiredEvents {
  readonly tenantId: TenantId
  /** Storage partitions (Cassandra) or row groups (embedded) removed. */
  readonly partitions: number
  /** Time span removed, epoch ms; empty when nothing had expired. */
  readonly from: number
  readonly to: number
}

/**
 * Storage infrastructure failure; carries the driver's cause, never shown to API clients.
 * `transient` is decided once, by the adapter: a retry may succeed (timeouts, unavailable
 * replicas, a restarting node), as opposed to a statement the database will always refuse.
 */
export class EventStoreError extends Data.TaggedError("EventStoreError")<{
  readonly message: string
  readonly cause?: unknown
  readonly transient?: boolean
}> {}

export interface EventStoreShape {
  /** Writes events; completes only when they are durable. Rewriting an ID is a no-op. */
  readonly write: (events: ReadonlyArray<NormalizedEvent>) => Effect.Effect<void, EventStoreError>
  /** Visits matching events in order; the store prunes by tenant and period and evaluates the filter. */
  readonly scan: (query: EventScan, visit: EventVisitor) => Effect.Effect<void, EventStoreError>
  /** The first `limit` matching events in order. */
  readonly search: (query: EventQuery) => Effect.Effect<ReadonlyArray<NormalizedEvent>, EventStoreError>
  /**
   * Removes a tenant's events older than `before`, by whole partitions: a partition goes only
   * when all of it is older, so a little more than the retention may remain until the next pass.
   */
  readonly expire: (tenantId: TenantId, before: number) => Effect.Effect<ExpiredEvents, EventStoreError>
}

export class EventStore extends Context.Tag("corvus/EventStore")<EventStore, EventStoreShape>() {}

/** `search` for a store that has `scan`: collects events until the limit. */
export const searchByScan =
  (scan: EventStoreShape["scan"]) =>
  (query: EventQuery): Effect.Effect<ReadonlyArray<NormalizedEvent>, EventStoreError> =>
    Effect.suspend(() => {
      const found: Array<NormalizedEvent> = []
      if (query.limit <= 0) return Effect.succeed(found)
      return Effect.as(
        scan(query, (events) => {
          for (const event of events) {
            found.push(event)
            if (found.length >= query.limit) return false
          }
          return true
        }),
        found
      )
    })

/** Orders events by (Timestamp, ID) in the given direction. */
export const compareEvents =
  (order: "asc" | "desc") =>
  (a: NormalizedEvent, b: NormalizedEvent): number => {
    const byTime = a.Timestamp - b.Timestamp
    const byId = a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0
    return order === "asc" ? byTime || byId : -byTime || byId
  }
