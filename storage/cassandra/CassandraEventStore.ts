// The cluster event store on Cassandra: rows partitioned by (tenant, 10-second bucket, shard),
// with an index of each tenant's non-empty partitions per day. A scan reads only indexed
// partitions of the period, bucket by bucket in time order, and merges each bucket's shards.
import { Effect, Layer } from "effect"
import type { NormalizedEvent } from "../../model/Event.ts"
import { compileFilter } from "../../model/FilterCompiler.ts"
import type { TenantId } from "../../model/Ids.ts"
import { compareEvents, EventStore, EventStoreError, searchByScan, type EventScan, type EventVisitor, type ExpiredEvents } from "../EventStore.ts"
import { bodyPrefilter, type BodyPrefilter } from "../query/BodyPrefilter.ts"
import { CassandraClient } from "./CassandraClient.ts"
import { readAllRows } from "./CassandraPaging.ts"
import { bucketOf, dayOfBucket, IndexDayMillis, shardOf, Tables } from "./CassandraTables.ts"
import { isTransientCassandraError } from "./CassandraTransient.ts"

/** Batches in flight at once per call. */
const WriteConcurrency = 64
/** Bodies per unlogged batch, below Cassandra's default batch_size_fail_threshold (50 KiB). */
const MaxBatchBytes = 40 * 1024
/** Longest period one scan may cover, so a query cannot run unbounded. */
const MaxScanDays = 31
/** Buckets read ahead of the one being visited, to overlap round trips with decoding. */
const ReadAhead = 3
/** Partitions the writer remembers as indexed; past this it forgets and re-indexes (idempotent). */
const IndexedCacheSize = 200_000

interface Statement {
  readonly query: string
  readonly params: Array<unknown>
}

interface PartitionRef {
  readonly tenantId: string
  readonly shard: number
}

const storeError = (message: string) => (cause: unknown) =>
  new EventStoreError({ message, cause, transient: isTransientCassandraError(cause) })

export const make = Effect.gen(function* () {
  const { client } = yield* CassandraClient
  const insertEvent = `INSERT INTO ${Tables.events} (tenant_id, bucket, shard, ts, id, type, body) VALUES (?, ?, ?, ?, ?, ?, ?)`
  const insertPartition = `INSERT INTO ${Tables.eventPartitions} (tenant_id, day, bucket, shard) VALUES (?, ?, ?, ?)`
  const insertDay = `INSERT INTO ${Tables.eventDays} (tenant_id, day) VALUES (?, ?)`
  const selectRows = `SELECT body FROM ${Tables.events} WHERE tenant_id = ? AND bucket = ? AND shard IN ? AND ts >= ? AND ts <= ?`
  const selectDays = `SELECT day FROM ${Tables.eventDays} WHERE tenant_id = ? AND day >= ? AND day <= ?`
  const selectPartitions = `SELECT bucket, shard FROM ${Tables.eventPartitions} WHERE tenant_id = ? AND day = ? AND bucket >= ? AND bucket <= ?`
  const indexed = new Set<string>()

  const execute = (statement: Statement) => client.execute(statement.query, statement.params, { prepare: true })

  // A partition is indexed before any of its rows is written, so every stored event is
  // reachable by a search; index rows are idempotent, so a forgotten cache only costs a rewrite.
  const indexPartitions = async (events: ReadonlyArray<NormalizedEvent>) => {
    const statements: Array<Statement> = []
    const added: Array<string> = []
    for (const event of events) {
      const bucket = bucketOf(event.Timestamp)
      const shard = shardOf(event.ID)
      const key = `${event.TenantID}/${bucket}/${shard}`
      if (indexed.has(key)) continue
      indexed.add(key)
      added.push(key)
      const day = dayOfBucket(bucket)
      const dayKey = `${event.TenantID}/day/${day}`
      if (!indexed.has(dayKey)) {
        indexed.add(dayKey)
        added.push(dayKey)
        statements.push({ query: insertDay, params: [event.TenantID, day] })
      }
      statements.push({ query: insertPartition, params: [event.TenantID, day, bucket, shard] })
    }
    try {
      for (let start = 0; start < statements.length; start += WriteConcurrency) {
        await Promise.all(statements.slice(start, start + WriteConcurrency).map(execute))
      }
    } catch (error) {
      for (const key of added) indexed.delete(key)
      throw error
    }
    if (indexed.size > IndexedCacheSize) indexed.clear()
  }

  // Rows of one partition go together in unlogged batches: one mutation per partition is what
  // Cassandra writes fastest, and each batch stays under the server's batch size limits.
  const write = (events: ReadonlyArray<NormalizedEvent>) =>
    Effect.tryPromise({
      try: async () => {
        if (events.length === 0) return
        await indexPartitions(events)
        const open = new Map<string, { rows: Array<Statement>; bytes: number }>()
        const batches: Array<Array<Statement>> = []
        for (const event of events) {
          const bucket = bucketOf(event.Timestamp)
          const shard = shardOf(event.ID)
          const key = `${event.TenantID}/${bucket}/${shard}`
          const body = JSON.stringify(event)
          let current = open.get(key)
          if (current === undefined || current.bytes + body.length > MaxBatchBytes) {
            current = { rows: [], bytes: 0 }
            open.set(key, current)
            batches.push(current.rows)
          }
          current.rows.push({ query: insertEvent, params: [event.TenantID, bucket, shard, new Date(event.Timestamp), event.ID, event.Type, body] })
          current.bytes += body.length
        }
        // Each batch is acknowledged at LOCAL_QUORUM, after the commit log, before the promise resolves.
        for (let start = 0; start < batches.length; start += WriteConcurrency) {
          await Promise.all(
            batches
              .slice(start, start + WriteConcurrency)
              .map((rows) => (rows.length === 1 ? execute(rows[0]!) : client.batch(rows, { prepare: true, logged: false })))
          )
        }
      },
      catch: storeError("event write failed")
    })

  /** The indexed partitions of the period, grouped by bucket. */
  const partitionsOf = async (tenantIds: ReadonlyArray<TenantId>, firstBucket: number, lastBucket: number) => {
    const byBucket = new Map<number, Array<PartitionRef>>()
    await Promise.all(
      tenantIds.map(async (tenantId) => {
        const days = await readAllRows(client, selectDays, [tenantId, dayOfBucket(firstBucket), dayOfBucket(lastBucket)])
        await Promise.all(
          days.map(async (row) => {
            const day = Number(row.get("day"))
            for (const partition of await readAllRows(client, selectPartitions, [tenantId, day, firstBucket, lastBucket], 5_000)) {
              const bucket = Number(partition.get("bucket"))
              let list = byBucket.get(bucket)
              if (list === undefined) byBucket.set(bucket, (list = []))
              list.push({ tenantId, shard: Number(partition.get("shard")) })
            }
          })
        )
      })
    )
    return byBucket
  }

  // One request per tenant and bucket: the coordinator reads the bucket's shards together, which
  // costs far fewer round trips than a request per partition when partitions are small.
  const readBucket = async (
    bucket: number,
    partitions: ReadonlyArray<PartitionRef>,
    from: Date,
    to: Date,
    prefilter: BodyPrefilter | undefined
  ): Promise<Array<NormalizedEvent>> => {
    const shardsByTenant = new Map<string, Array<number>>()
    for (const partition of partitions) {
      let shards = shardsByTenant.get(partition.tenantId)
      if (shards === undefined) shardsByTenant.set(partition.tenantId, (shards = []))
      shards.push(partition.shard)
    }
    const results = await Promise.all([...shardsByTenant].map(([tenantId, shards]) => readAllRows(client, selectRows, [tenantId, bucket, shards, from, to], 5_000)))
    const events: Array<NormalizedEvent> = []
    // Bodies were written by `write` from decoded events: parsed, not decoded again.
    for (const rows of results) {
      for (const row of rows) {
        const body = row.get("body") as string
        if (prefilter === undefined || prefilter(body)) events.push(JSON.parse(body) as NormalizedEvent)
      }
    }
    return events
  }

  const scan = (query: EventScan, visit: EventVisitor) =>
    Effect.gen(function* () {
      if (query.tenantIds.length === 0 || query.to < query.from) return
      const matches = yield* Effect.try({
        try: () => compileFilter(query.filter),
        catch: (cause) => new EventStoreError({ message: String((cause as Error).message), cause })
      })
      if (query.to - query.from > MaxScanDays * IndexDayMillis) {
        return yield* new EventStoreError({ message: `period longer than ${MaxScanDays} days` })
      }
      yield* Effect.tryPromise({
        try: async () => {
          const firstBucket = bucketOf(query.from)
          const lastBucket = bucketOf(query.to)
          const byBucket = await partitionsOf(query.tenantIds, firstBucket, lastBucket)
          const buckets = [...byBucket.keys()].sort((a, b) => (query.order === "asc" ? a - b : b - a))
          const from = new Date(query.from)
          const to = new Date(query.to)
          const compare = compareEvents(query.order)
          // Cassandra cannot evaluate the filter; the text test spares parsing most non-matches.
          const prefilter = bodyPrefilter(query.filter)
          const reads: Array<Promise<Array<NormalizedEvent>>> = []
          const startRead = (index: number) => {
            const bucket = buckets[index]
            if (bucket === undefined) return
            const read = readBucket(bucket, byBucket.get(bucket)!, from, to, prefilter)
            // A read left behind when the visitor stops must not surface as an unhandled rejection.
            read.catch(() => undefined)
            reads[index] = read
          }
          for (let index = 0; index < Math.min(ReadAhead + 1, buckets.length); index++) startRead(index)
          for (let index = 0; index < buckets.length; index++) {
            const events = await reads[index]!
            startRead(index + ReadAhead + 1)
            const matching = events.filter(matches)
            matching.sort(compare)
            if (matching.length > 0 && !visit(matching)) return
          }
        },
        catch: storeError("event search failed")
      })
    })

  // Retention drops whole days: each partition of the day, then its index, then the day itself,
  // so a pass that fails half-way is simply repeated by the next one.
  const expire = (tenantId: TenantId, before: number) =>
    Effect.tryPromise({
      try: async (): Promise<ExpiredEvents> => {
        const lastWholeDay = Math.floor(before / IndexDayMillis) - 1
        const days = (await readAllRows(client, `SELECT day FROM ${Tables.eventDays} WHERE tenant_id = ? AND day <= ?`, [tenantId, lastWholeDay])).map((row) =>
          Number(row.get("day"))
        )
        let partitions = 0
        for (const day of days) {
          const rows = await readAllRows(client, `SELECT bucket, shard FROM ${Tables.eventPartitions} WHERE tenant_id = ? AND day = ?`, [tenantId, day], 5_000)
          for (let start = 0; start < rows.length; start += WriteConcurrency) {
            await Promise.all(
              rows
                .slice(start, start + WriteConcurrency)
                .map((row) => execute({ query: `DELETE FROM ${Tables.events} WHERE tenant_id = ? AND bucket = ? AND shard = ?`, params: [tenantId, row.get("bucket"), row.get("shard")] }))
            )
          }
          partitions += rows.length
          await execute({ query: `DELETE FROM ${Tables.eventPartitions} WHERE tenant_id = ? AND day = ?`, params: [tenantId, day] })
          await execute({ query: `DELETE FROM ${Tables.eventDays} WHERE tenant_id = ? AND day = ?`, params: [tenantId, day] })
          for (const row of rows) indexed.delete(`${tenantId}/${row.get("bucket")}/${row.get("shard")}`)
          indexed.delete(`${tenantId}/day/${day}`)
        }
        if (days.length === 0) return { tenantId, partitions: 0, from: 0, to: 0 }
        return { tenantId, partitions, from: Math.min(...days) * IndexDayMillis, to: (Math.max(...days) + 1) * IndexDayMillis - 1 }
      },
      catch: storeError("event expiry failed")
    })

  return { write, scan, search: searchByScan(scan), expire }
})

/** The Cassandra event store over the process's session. */
export const layer: Layer.Layer<EventStore, never, CassandraClient> = Layer.effect(EventStore, make)
