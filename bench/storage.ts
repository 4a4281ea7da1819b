// Storage benchmark (issue 5): events/s persisted by the Corvus write path (CassandraEventStore
// `write`, batches of 1,000 like the storage consumer) and by a bare cassandra-driver loop (the
// same per-partition unlogged batches, 64 in flight) on the same table; then the latency of a
// one-hour search (filter + GROUP BY) over one tenant's events for Cassandra and embedded DuckDB.
// Usage: tsx bench/storage.ts [writeEvents=200000] [searchEvents=1000000] [loadSeconds=180]
// Needs `npm run services:up` (Cassandra on 127.0.0.1:19042); uses a throwaway keyspace, dropped
// at the end. The last line printed is one JSON object with the figures.
import { Context, Effect, Layer } from "effect"
import { randomUUID } from "node:crypto"
import * as CassandraClient from "../storage/cassandra/CassandraClient.ts"
import * as CassandraEventStore from "../storage/cassandra/CassandraEventStore.ts"
import { bucketOf, shardOf, Tables } from "../storage/cassandra/CassandraTables.ts"
import * as DuckDb from "../storage/embedded/DuckDb.ts"
import * as DuckDbEventStore from "../storage/embedded/DuckDbEventStore.ts"
import { EventStore, type EventStoreShape } from "../storage/EventStore.ts"
import { EventSqlError, parseEventSql } from "../storage/query/EventSql.ts"
import { runEventSearch } from "../storage/query/EventSearch.ts"
import type { NormalizedEvent } from "../model/Event.ts"
import type { TenantId } from "../model/Ids.ts"

const writeEvents = Number(process.argv[2] ?? 200_000)
const searchTarget = Number(process.argv[3] ?? 1_000_000)
const loadSeconds = Number(process.argv[4] ?? 180)
const runId = Date.now().toString(36)
const keyspace = `corvus_bench_${runId}`
const tenant = "bench" as TenantId
/** Events per `write` call, as cluster/StorageWriter.ts consumes them. */
const WriteBatch = 1_000
/** Bare loop: inserts in flight, the Corvus store's per-call concurrency. */
const BareConcurrency = 64
const HourMillis = 3_600_000
/** Searched hour and write-comparison hour, aligned to whole hours, in the past. */
const searchHour = Math.floor(Date.now() / HourMillis) * HourMillis - HourMillis
const writeHour = searchHour - 2 * HourMillis

const Products = ["Windows", "Linux auditd", "Cisco ASA", "Palo Alto NGFW", "Squid", "nginx", "Active Directory", "Sysmon"]
const Actions = ["allow", "deny", "login", "logout", "read", "write", "exec", "connect"]
const pick = <A>(values: ReadonlyArray<A>): A => values[Math.floor(Math.random() * values.length)]!
const ip = () => `10.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`

/** A normalized event of the bench tenant at `timestamp`: 24 fields, about 670 bytes of JSON. */
const makeEvent = (timestamp: number): NormalizedEvent => {
  const product = pick(Products)
  const user = `user${Math.floor(Math.random() * 5_000)}`
  const host = `host-${Math.floor(Math.random() * 2_000)}.corp.example`
  return {
    ID: randomUUID(),
    Timestamp: timestamp,
    TenantID: tenant,
    Type: 1,
    ServiceID: "collector-bench",
    ReceiptTime: timestamp + Math.floor(Math.random() * 500),
    DeviceProduct: product,
    DeviceVersion: "10.4.2",
    DeviceEventClassID: String(4600 + Math.floor(Math.random() * 100)),
    Name: `${product} ${pick(Actions)} event`,
    Message: `${user} on ${host}`,
    Severity: pick(["low", "medium", "high"]),
    DeviceAction: pick(Actions),
    DeviceHostName: `fw-${Math.floor(Math.random() * 20)}.corp.example`,
    SourceAddress: ip(),
    SourcePort: 1024 + Math.floor(Math.random() * 60_000),
    SourceUserName: user,
    DestinationAddress: ip(),
    DestinationPort: pick([22, 80, 443, 445, 3389, 8080]),
    DestinationHostName: host,
    TransportProtocol: "TCP",
    DeviceVendor: "Bench",
    BytesIn: Math.floor(Math.random() * 100_000),
    EventOutcome: Math.random() < 0.1 ? "failure" : "success",
  }
}

/** `count` events with times spread uniformly over [hour, hour + 1 h), in arrival (time) order. */
const makeEvents = (count: number, hour: number): Array<NormalizedEvent> => {
  const times = Array.from({ length: count }, () => hour + Math.floor(Math.random() * HourMillis))
  times.sort((a, b) => a - b)
  return times.map(makeEvent)
}

const corvusWrite = async (store: EventStoreShape, events: ReadonlyArray<NormalizedEvent>) => {
  for (let start = 0; start < events.length; start += WriteBatch) {
    await Effect.runPromise(store.write(events.slice(start, start + WriteBatch)))
  }
}

// The fair baseline: what a plain driver loop does at its best on the same table, i.e. what the
// store does minus the store: rows grouped per partition into unlogged batches under 40 KiB,
// 64 requests in flight. The difference is what Corvus adds (the partition index, the bookkeeping).
const bareWrite = async (client: CassandraClient.CassandraSession["client"], events: ReadonlyArray<NormalizedEvent>) => {
  const insert = `INSERT INTO ${Tables.events} (tenant_id, bucket, shard, ts, id, type, body) VALUES (?, ?, ?, ?, ?, ?, ?)`
  for (let start = 0; start < events.length; start += WriteBatch) {
    const partitions = new Map<string, { rows: Array<{ query: string; params: Array<unknown> }>; bytes: number }>()
    const batches: Array<Array<{ query: string; params: Array<unknown> }>> = []
    for (const event of events.slice(start, start + WriteBatch)) {
      const bucket = bucketOf(event.Timestamp)
      const shard = shardOf(event.ID)
      const key = `${event.TenantID}/${bucket}/${shard}`
      const body = JSON.stringify(event)
      let batch = partitions.get(key)
      if (batch === undefined || batch.bytes + body.length > 40 * 1024) {
        batch = { rows: [], bytes: 0 }
        partitions.set(key, batch)
        batches.push(batch.rows)
      }
      batch.rows.push({ query: insert, params: [event.TenantID, bucket, shard, new Date(event.Timestamp), event.ID, event.Type, body] })
      batch.bytes += body.length
    }
    for (let first = 0; first < batches.length; first += BareConcurrency) {
      await Promise.all(
        batches
          .slice(first, first + BareConcurrency)
          .map((rows) => (rows.length === 1 ? client.execute(rows[0]!.query, rows[0]!.params, { prepare: true }) : client.batch(rows, { prepare: true, logged: false })))
      )
    }
  }
}

const timed = async (work: () => Promise<void>): Promise<number> => {
  const started = performance.now()
  await work()
  return (performance.now() - started) / 1000
}

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

// The API's search path (gateway/routes/events.ts): SQL text parsed by parseEventSql and run by
// runEventSearch with the caller's tenants and the period: the store prunes and pushes down, the
// executor groups. Both stores answer the same SQL.
const GroupSql = "SELECT DeviceProduct, count(*) AS events, sum(BytesIn) AS bytesIn FROM events WHERE EventOutcome = 'failure' GROUP BY DeviceProduct ORDER BY events DESC"
const PageSql = "SELECT DeviceProduct, SourceUserName FROM events WHERE EventOutcome = 'failure' LIMIT 10000"
const parse = (text: string) => {
  const parsed = parseEventSql(text)
  if (parsed instanceof EventSqlError) throw new Error(`bench query does not parse: ${parsed.message}`)
  return parsed
}
const search = async (store: EventStoreShape, sql: string) => {
  const outcome = await Effect.runPromise(
    runEventSearch(parse(sql), { tenantIds: [tenant], from: searchHour, to: searchHour + HourMillis - 1 }).pipe(Effect.provideService(EventStore, store))
  )
  return outcome.kind === "groups" ? outcome.rows.map((row) => row.join("=")) : [`${outcome.events.length} events`]
}
const timeSearch = async (name: string, store: EventStoreShape, sql: string) => {
  const answer = await search(store, sql)
  const runs: Array<number> = []
  for (let run = 0; run < 3; run++) {
    const started = performance.now()
    await search(store, sql)
    runs.push(performance.now() - started)
  }
  const ms = Math.round(median(runs))
  console.log(`  ${name}: median ${ms} ms (runs ${runs.map((r) => Math.round(r)).join(" / ")} ms): ${answer.slice(0, 3).join(", ")}${answer.length > 3 ? `, ... (${answer.length} rows)` : ""}`)
  return { ms, answer }
}

const program = Effect.gen(function* () {
  const cassandraContext = yield* Layer.build(
    CassandraEventStore.layer.pipe(
      Layer.provideMerge(
        CassandraClient.layer({ contactPoints: ["127.0.0.1:19042"], localDataCenter: "datacenter1", keyspace, replicationFactor: 1 })
      )
    )
  )
  const cassandra = Context.get(cassandraContext, EventStore)
  const { client } = Context.get(cassandraContext, CassandraClient.CassandraClient)
  yield* Effect.addFinalizer(() =>
    Effect.promise(() =>
      client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], { readTimeout: 120_000 }).then(
        () => console.log(`dropped keyspace ${keyspace}`),
        (error) => console.log(`could not drop keyspace ${keyspace}: ${String(error)}`)
      )
    )
  )
  const embeddedContext = yield* Layer.build(DuckDbEventStore.layerEmbedded.pipe(Layer.provide(DuckDb.layer(":memory:"))))
  const embedded = Context.get(embeddedContext, EventStore)

  return yield* Effect.promise(async () => {
    console.log(`bench:storage: keyspace ${keyspace} (replication 1), tenant ${tenant}, ${writeEvents} events per write run`)

    // Write comparison: a warm-up for each path (JIT, prepared statements, memtables), then the runs.
    const sample = makeEvents(1_000, writeHour)
    const bodyBytes = sample.reduce((sum, event) => sum + JSON.stringify(event).length, 0) / sample.length
    console.log(`  events: ${Object.keys(sample[0]!).length} fields, ${Math.round(bodyBytes)} bytes of JSON body on average`)
    await corvusWrite(cassandra, makeEvents(20_000, writeHour))
    await bareWrite(client, makeEvents(20_000, writeHour))
    const corvusEvents = makeEvents(writeEvents, writeHour)
    const bareEvents = makeEvents(writeEvents, writeHour)
    const corvusSeconds = await timed(() => corvusWrite(cassandra, corvusEvents))
    const bareSeconds = await timed(() => bareWrite(client, bareEvents))
    const corvusEventsPerSecond = Math.round(writeEvents / corvusSeconds)
    const bareEventsPerSecond = Math.round(writeEvents / bareSeconds)
    const overhead = 1 - corvusEventsPerSecond / bareEventsPerSecond
    console.log(`corvus write path (CassandraEventStore.write, ${WriteBatch}-event calls): ${writeEvents} events in ${corvusSeconds.toFixed(2)} s = ${corvusEventsPerSecond} events/s`)
    console.log(`bare cassandra-driver loop (unlogged batches per partition, ${BareConcurrency} in flight): ${writeEvents} events in ${bareSeconds.toFixed(2)} s = ${bareEventsPerSecond} events/s`)
    console.log(`overhead = 1 - corvus/bare = ${(overhead * 100).toFixed(1)}% (target <= 20%: ${overhead <= 0.2 ? "met" : "NOT met"})`)

    // Search data: chunks spread over the whole hour, each written to both stores, until the
    // target count or the Cassandra loading budget is reached.
    const Chunk = 50_000
    let loaded = 0
    let cassandraLoadSeconds = 0
    let embeddedLoadSeconds = 0
    while (loaded < searchTarget && cassandraLoadSeconds < loadSeconds) {
      const chunk = makeEvents(Math.min(Chunk, searchTarget - loaded), searchHour)
      cassandraLoadSeconds += await timed(() => corvusWrite(cassandra, chunk))
      embeddedLoadSeconds += await timed(async () => {
        for (let start = 0; start < chunk.length; start += 10_000) await Effect.runPromise(embedded.write(chunk.slice(start, start + 10_000)))
      })
      loaded += chunk.length
    }
    const partial = loaded < searchTarget
    console.log(
      `search data: ${loaded} events of tenant ${tenant} within one hour${partial ? ` (FEWER than the ${searchTarget} asked: the ${loadSeconds} s loading budget ran out)` : ""}; ` +
        `loading took ${cassandraLoadSeconds.toFixed(1)} s into Cassandra (${Math.round(loaded / cassandraLoadSeconds)} events/s, Corvus write path), ` +
        `${embeddedLoadSeconds.toFixed(1)} s into embedded DuckDB (10,000-event writes)`
    )

    console.log(`search over the hour, warm-up once then median of 3:`)
    console.log(` "${GroupSql}"`)
    const cassandraGroups = await timeSearch("cassandra", cassandra, GroupSql)
    const embeddedGroups = await timeSearch("embedded", embedded, GroupSql)
    console.log(`  both backends return the same groups, counts and sums: ${JSON.stringify(cassandraGroups.answer) === JSON.stringify(embeddedGroups.answer)}`)
    console.log(` "${PageSql}" (newest first)`)
    const cassandraPage = await timeSearch("cassandra", cassandra, PageSql)
    const embeddedPage = await timeSearch("embedded", embedded, PageSql)

    return {
      corvusEventsPerSecond,
      bareEventsPerSecond,
      overhead: Number(overhead.toFixed(4)),
      searchMs: { cassandra: cassandraGroups.ms, embedded: embeddedGroups.ms },
      pageMs: { cassandra: cassandraPage.ms, embedded: embeddedPage.ms },
      searchEvents: loaded,
      writeEvents,
      node: process.version
    }
  })
}).pipe(Effect.scoped)

// The JSON line comes after the scope has closed (keyspace dropped), so it is the last line.
Effect.runPromise(program).then(
  (figures) => {
    console.log(JSON.stringify(figures))
    process.exit(0)
  },
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
