// The cluster event store on Cassandra: rows partitioned by (tenant, minute bucket, shard);
// a search walks the period's buckets in time order, merging each bucket's shards.
import { Effect, Layer } from "effect"
import { decodeEventSync, type NormalizedEvent } from "../../model/Event.ts"
import { compileFilter } from "../../model/FilterCompiler.ts"
import { EventStore, EventStoreError, type EventQuery } from "../EventStore.ts"
import { CassandraClient } from "./CassandraClient.ts"
import { readAllRows } from "./CassandraPaging.ts"
import { BucketMillis, bucketOf, shardOf, ShardsPerBucket, Tables } from "./CassandraTables.ts"

/** Writes in flight at once per call. */
const WriteConcurrency = 64
/** Longest period one search may walk (in buckets), so a query cannot run unbounded. */
const MaxBucketsPerSearch = 60 * 24 * 31

export const make = Effect.gen(function* () {
  const { client } = yield* CassandraClient
  const insert = `INSERT INTO ${Tables.events} (tenant_id, bucket, shard, ts, id, type, body) VALUES (?, ?, ?, ?, ?, ?, ?)`
  const select = `SELECT body FROM ${Tables.events} WHERE tenant_id = ? AND bucket = ? AND shard = ? AND ts >= ? AND ts <= ?`

  const write = (events: ReadonlyArray<NormalizedEvent>) =>
    Effect.tryPromise({
      try: async () => {
        // Each write is acknowledged at LOCAL_QUORUM before the promise resolves.
        for (let start = 0; start < events.length; start += WriteConcurrency) {
          const chunk = events.slice(start, start + WriteConcurrency)
          await Promise.all(
            chunk.map((event) =>
              client.execute(
                insert,
                [event.TenantID, bucketOf(event.Timestamp), shardOf(event.ID), new Date(event.Timestamp), event.ID, event.Type, JSON.stringify(event)],
                { prepare: true }
              )
            )
          )
        }
      },
      catch: (cause) => new EventStoreError({ message: "event write failed", cause })
    })

  const readBucket = async (tenantId: string, bucket: number, from: Date, to: Date): Promise<Array<NormalizedEvent>> => {
    const shards = Array.from({ length: ShardsPerBucket }, (_, shard) => shard)
    const results = await Promise.all(
      shards.map((shard) => readAllRows(client, select, [tenantId, bucket, shard, from, to]))
    )
    return results.flat().map((row) => decodeEventSync(JSON.parse(String(row.get("body")))))
  }

  const search = (query: EventQuery) =>
    Effect.gen(function* () {
      if (query.tenantIds.length === 0 || query.limit <= 0 || query.to < query.from) return []
      const matches = yield* Effect.try({
        try: () => compileFilter(query.filter),
        catch: (cause) => new EventStoreError({ message: String((cause as Error).message), cause })
      })
      const firstBucket = bucketOf(query.from)
      const lastBucket = bucketOf(query.to)
      if (lastBucket - firstBucket + 1 > MaxBucketsPerSearch) {
        return yield* new EventStoreError({ message: `period longer than ${(MaxBucketsPerSearch * BucketMillis) / 86_400_000} days` })
      }
      return yield* Effect.tryPromise({
        try: async () => {
          const found: Array<NormalizedEvent> = []
          const from = new Date(query.from)
          const to = new Date(query.to)
          const ascending = query.order === "asc"
          for (let step = 0; step <= lastBucket - firstBucket && found.length < query.limit; step++) {
            const bucket = ascending ? firstBucket + step : lastBucket - step
            const perTenant = await Promise.all(query.tenantIds.map((tenantId) => readBucket(tenantId, bucket, from, to)))
            const events = perTenant.flat().filter(matches)
            events.sort((a, b) => (ascending ? a.Timestamp - b.Timestamp : b.Timestamp - a.Timestamp) || (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0))
            for (const event of events) {
              if (found.length >= query.limit) break
              found.push(event)
            }
          }
          return found
        },
        catch: (cause) => new EventStoreError({ message: "event search failed", cause })
      })
    })

  return { write, search }
})

/** The Cassandra event store over the process's session. */
export const layer: Layer.Layer<EventStore, never, CassandraClient> = Layer.effect(EventStore, make)
