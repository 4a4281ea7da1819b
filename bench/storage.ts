// Storage benchmark (issue 5): events/s persisted by the Corvus write path (CassandraEventStore
// `write`, batches of 1,000 like the storage consumer) and by a bare cassandra-driver insert loop
// (64 prepared inserts in flight) on the same table with the same values; then the latency of a
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

const bareWrite = async (client: CassandraClient.CassandraSession["client"], events: ReadonlyArray<NormalizedEvent>) => {
  const insert = `INSERT INTO ${Tables.events} (tenant_id, bucket, shard, ts, id, type, body) VALUES (?, ?, ?, ?, ?, ?, ?)`
  let next = 0
  const worker = async () => {
    for (let index = next++; index < events.length; index = next++) {
      const event = events[index]!
      await client.execute(
        insert,
        [event.TenantID, bucketOf(event.Timestamp), shardOf(event.ID), new Date(event.Timestamp), event.ID, event.Type, JSON.stringify(event)],
        { prepare: true }
      )
    }
  }
  await Promise.all(Array.from({ length: BareConcurrency }, worker))
}

const timed = async (work: () => Promise<void>): Promise<number> => {
  const started = performance.now()
  await work()
  return (performance.now() - started) / 1000
}

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

// The API's search path (gateway/routes/events.ts): SQL text parsed by parseEventSql, then the
// store's search with the caller's tenants and the period. The search language has no GROUP BY
// yet, so the grouping (count per DeviceProduct) runs here over the returned events.
const SearchSql = "SELECT DeviceProduct FROM events WHERE EventOutcome = 'failure' LIMIT 10000"
const parsed = parseEventSql(SearchSql)
if (parsed instanceof EventSqlError) throw new Error(`bench query does not parse: ${parsed.message}`)
const search = async (store: EventStoreShape, limit: number) => {
  const events = await Effect.runPromise(
    store.search({ tenantIds: [tenant], from: searchHour, to: searchHour + HourMillis - 1, filter: parsed.filter, limit, order: "desc" })
  )
  const groups = new Map<string, number>()
  for (const event of events) groups.set(event.DeviceProduct ?? "", (groups.get(event.DeviceProduct ?? "") ?? 0) + 1)
  return { matched: events.length, groups }
}
const timeSearch = async (name: string, store: EventStoreShape, limit: number) => {
  const warm = await search(store, limit)
  const runs: Array<number> = []
  for (let run = 0; run < 3; run++) {
    const started = performance.now()
    await search(store, limit)
    runs.push(performance.now() - started)
  }
  const ms = Math.round(median(runs))
  console.log(`  ${name}: median ${ms} ms (runs ${runs.map((r) => Math.round(r)).join(" / ")} ms), ${warm.matched} matching events in ${warm.groups.size} groups`)
  return { ms, groups: warm.groups }
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
    console.log(`bare cassandra-driver loop (${BareConcurrency} prepared inserts in flight): ${writeEvents} events in ${bareSeconds.toFixed(2)} s = ${bareEventsPerSecond} events/s`)
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

    console.log(`search "${SearchSql}" over the hour, grouped by DeviceProduct (count), warm-up once then median of 3:`)
    console.log(` as the API runs it (limit 10000, newest first):`)
    const cassandraApi = await timeSearch("cassandra", cassandra, parsed.limit)
    const embeddedApi = await timeSearch("embedded", embedded, parsed.limit)
    console.log(` whole hour (no limit: every matching event, the full GROUP BY):`)
    const cassandraFull = await timeSearch("cassandra", cassandra, Number.MAX_SAFE_INTEGER)
    const embeddedFull = await timeSearch("embedded", embedded, Number.MAX_SAFE_INTEGER)
    const same = [...cassandraFull.groups].every(([key, count]) => embeddedFull.groups.get(key) === count) && cassandraFull.groups.size === embeddedFull.groups.size
    console.log(`  both backends return the same groups and counts: ${same}`)

    return {
      corvusEventsPerSecond,
      bareEventsPerSecond,
      overhead: Number(overhead.toFixed(4)),
      searchMs: { cassandra: cassandraFull.ms, embedded: embeddedFull.ms },
      searchApiLimitMs: { cassandra: cassandraApi.ms, embedded: embeddedApi.ms },
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
