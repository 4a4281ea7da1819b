// The cluster event store on Cassandra: rows partitioned by (tenant, minute bucket, shard);
// a search walks the period's buckets in time order, merging each bucket's shards.
import { Effect, Layer } from "effect"
import { decodeEventSync, type NormalizedEvent } from "../../model/Event.ts"
import { compileFilter } from "../../model/FilterCompiler.ts"
import { EventStore, EventStoreError, type EventQuery } from "../EventStore.ts"
import { CassandraClient } from "./CassandraClient.ts"
import { readAllRows } from "./CassandraPaging.ts"
import { isTransientCassandraError } from "./CassandraTransient.ts"
import { BucketMillis, bucketOf, shardOf, ShardsPerBucket, Tables } from "./CassandraTables.ts"

/** Batches in flight at once per call. */
const WriteConcurrency = 64
/** Bodies per unlogged batch, below Cassandra's default batch_size_fail_threshold (50 KiB). */
const MaxBatchBytes = 40 * 1024
/** Longest period one search may walk (in buckets), so a query cannot run unbounded. */
const MaxBucketsPerSearch = 60 * 24 * 31

export const make = Effect.gen(function* () {
  const { client } = yield* CassandraClient
  const insert = `INSERT INTO ${Tables.events} (tenant_id, bucket, shard, ts, id, type, body) VALUES (?, ?, ?, ?, ?, ?, ?)`
  const select = `SELECT body FROM ${Tables.events} WHERE tenant_id = ? AND bucket = ? AND shard = ? AND ts >= ? AND ts <= ?`

  // Rows of one partition go together in unlogged batches: one mutation per partition is what
  // Cassandra writes fastest, and each batch stays under the server's batch size limits.
  const write = (events: ReadonlyArray<NormalizedEvent>) =>
    Effect.tryPromise({
      try: async () => {
        const partitions = new Map<string, Array<{ query: string; params: Array<unknown> }>>()
        const batches: Array<Array<{ query: string; params: Array<unknown> }>> = []
        const sizes = new Map<string, number>()
        for (const event of events) {
          const bucket = bucketOf(event.Timestamp)
          const shard = shardOf(event.ID)
          const key = `${event.TenantID}/${bucket}/${shard}`
          const body = JSON.stringify(event)
          let current = partitions.get(key)
          if (current === undefined || (sizes.get(key) ?? 0) + body.length > MaxBatchBytes) {
            current = []
            partitions.set(key, current)
            batches.push(current)
            sizes.set(key, 0)
          }
          current.push({ query: insert, params: [event.TenantID, bucket, shard, new Date(event.Timestamp), event.ID, event.Type, body] })
          sizes.set(key, (sizes.get(key) ?? 0) + body.length)
        }
        // Each batch is acknowledged at LOCAL_QUORUM, after the commit log, before the promise resolves.
        for (let start = 0; start < batches.length; start += WriteConcurrency) {
          await Promise.all(
            batches.slice(start, start + WriteConcurrency).map((rows) =>
              rows.length === 1 ? client.execute(rows[0]!.query, rows[0]!.params, { prepare: true }) : client.batch(rows, { prepare: true, logged: false })
            )
          )
        }
      },
      catch: (cause) => new EventStoreError({ message: "event write failed", cause, transient: isTransientCassandraError(cause) })
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
