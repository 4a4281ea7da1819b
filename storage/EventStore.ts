// The event store port: idempotent writes of normalized events (same ID, same row) and
// search by tenants, period and filter. Implementations: Cassandra (cluster), DuckDB (embedded).
import { Context, Data, type Effect } from "effect"
import type { NormalizedEvent } from "../model/Event.ts"
import type { Filter } from "../model/Filter.ts"
import type { TenantId } from "../model/Ids.ts"

/** A search over stored events; the caller has already limited `tenantIds` to what it may see. */
export interface EventQuery {
  readonly tenantIds: ReadonlyArray<TenantId>
  /** Period, epoch ms, inclusive. */
  readonly from: number
  readonly to: number
  readonly filter: Filter
  readonly limit: number
  /** Newest first by default. */
  readonly order: "asc" | "desc"
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
  readonly search: (query: EventQuery) => Effect.Effect<ReadonlyArray<NormalizedEvent>, EventStoreError>
}

export class EventStore extends Context.Tag("corvus/EventStore")<EventStore, EventStoreShape>() {}
