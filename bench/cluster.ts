// How the correlation tier scales and moves (issue 6, point 6), on real node processes over the
// local NATS and Cassandra (npm run services:up), a node per core:
//  1. throughput: one node, then two, with settled ownership, take the same burst of events
//     through the same correlators (routers read every event, partitions apply the matches);
//     events/s is the burst over the time from its first publish to "every router and partition
//     caught up", and the CPU the nodes and the NATS servers used meanwhile is printed;
//  2. movedShare: the share of correlator slots (partitions and routers) whose owner changes
//     when a third node joins the two;
//  3. handoffP99Ms: while that third node joins, a steady probe load runs through a correlator
//     whose rule fires on every event; the delay from publishing an event to seeing its
//     correlation event, for events whose partition moved, at the 99th percentile.
// Nodes run correlation only (CORVUS_ROLES empty): storage and intake are benchmarked apart.
// Usage: tsx bench/cluster.ts [backlogEvents] [correlators]. Last line: one JSON object.
import cassandra from "cassandra-driver"
import { Effect, type Scope } from "effect"
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as NatsEventBus from "../cluster/bus/NatsEventBus.ts"
import * as ClusterView from "../cluster/control/ClusterView.ts"
import type { PartitionTableEntry } from "../cluster/control/NodeStatus.ts"
import { EventBus } from "../cluster/EventBus.ts"
import * as Topics from "../cluster/Topics.ts"
import type { NormalizedEvent } from "../model/Event.ts"
import { CollectorId, TenantId } from "../model/Ids.ts"
import { startNode, stopNode, waitUntilRunning, type LocalClusterOptions, type LocalNode } from "../ops/cluster/LocalCluster.ts"

const backlog = Number(process.argv[2] ?? 100_000)
const correlatorCount = Number(process.argv[3] ?? 8)
const partitions = 8
const natsServers = ["nats://127.0.0.1:14222", "nats://127.0.0.1:14223", "nats://127.0.0.1:14224"]
const contactPoints = ["127.0.0.1:19042"]
const source = TenantId.make("t2")
const collectorId = CollectorId.make("bench")
const runId = Date.now().toString(36)
const dir = mkdtempSync(join(tmpdir(), "corvus-bench-cluster-"))

const loadCorrelator = (index: number) => ({
  id: `load${index}`,
  tenantId: "main",
  name: `Load ${index}`,
  sources: [{ tenantId: "t2" }],
  rules: [
    {
      kind: "standard",
      id: "failures",
      name: "Repeated failures",
      selectors: [{ filter: { and: [{ field: "DeviceProduct", op: "=", value: "bench" }, { field: "EventOutcome", op: "=", value: "failure" }] }, threshold: 20 }],
      identicalFields: ["SourceAddress"],
      windowSeconds: 60,
      actions: [{ trigger: "onFirstThreshold", noAlert: true }]
    }
  ]
})
// Fires on every probe event, so each one's delay through routing and its partition is visible.
const probeCorrelator = {
  id: "probe",
  tenantId: "main",
  name: "Probe",
  sources: [{ tenantId: "t2" }],
  rules: [
    {
      kind: "standard",
      id: "each",
      name: "Each probe",
      selectors: [{ filter: { field: "DeviceProduct", op: "=", value: "probe" }, threshold: 1 }],
      identicalFields: ["SourceAddress"],
      windowSeconds: 60,
      actions: [
        { trigger: "onFirstThreshold", noAlert: true },
        { trigger: "onSubsequentThresholds", noAlert: true }
      ]
    }
  ]
}
const deploymentFile = join(dir, "deployment.json")
writeFileSync(
  deploymentFile,
  JSON.stringify({
    tenants: [
      { id: "main", name: "Main", main: true },
      { id: "t2", name: "Tenant 2", main: false }
    ],
    collectors: [],
    correlators: [...Array.from({ length: correlatorCount }, (_, index) => loadCorrelator(index)), probeCorrelator]
  })
)

const clusterOptions = (clusterName: string, base: number): LocalClusterOptions => ({
  clusterName,
  baseDir: join(dir, clusterName),
  adminToken: "bench-token",
  partitions,
  natsUrl: natsServers.join(","),
  cassandraContactPoints: contactPoints.join(","),
  demo: false,
  deploymentFile,
  roles: [],
  basePorts: { api: base + 3, console: base, control: base + 5, collectors: base + 7 }
})

const busLayer = NatsEventBus.layer({ servers: natsServers, replicas: 3, connectionName: "bench-cluster" })
const run = <A, E>(effect: Effect.Effect<A, E, EventBus | Scope.Scope>) => Effect.runPromise(Effect.scoped(effect).pipe(Effect.provide(busLayer)))
const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))

const loadEvent = (index: number, now: number): NormalizedEvent => ({
  ID: crypto.randomUUID(),
  Timestamp: now + index,
  TenantID: source,
  Type: 1,
  DeviceProduct: "bench",
  EventOutcome: index % 4 === 0 ? "failure" : "success",
  SourceAddress: `10.0.${(index >> 8) & 255}.${index % 200}`,
  DestinationUserName: `user${index % 100}`
})

/** Publishes the backlog into the cluster's events stream, as fast as the stream takes it. */
const preload = (clusterName: string) =>
  run(
    Effect.gen(function* () {
      const bus = yield* EventBus
      const topics = Topics.make(clusterName)
      const now = Date.now()
      for (let start = 0; start < backlog; start += 1_000) {
        const records = Array.from({ length: Math.min(1_000, backlog - start) }, (_, offset) => ({ collectorId, event: loadEvent(start + offset, now) }))
        yield* bus.publish(topics.events, records)
      }
    })
  )

const view = (node: LocalNode) => Effect.runPromise(ClusterView.gather(node.controlAddress, { memberDeadline: 5_000 }).pipe(Effect.either))

/** Every router has read the whole backlog and every partition has applied all its matches. */
const caughtUp = (routers: ReadonlyArray<PartitionTableEntry>, entries: ReadonlyArray<PartitionTableEntry>, lastEvent: number) =>
  routers.every((entry) => entry.progress !== undefined && entry.progress.appliedSequence >= lastEvent) &&
  entries.every((entry) => entry.progress !== undefined && entry.progress.lag === 0)

const ownersOf = (routers: ReadonlyArray<PartitionTableEntry>, entries: ReadonlyArray<PartitionTableEntry>) =>
  new Map([...entries, ...routers].map((entry) => [`${entry.correlatorId}/${entry.partition}`, entry.owner?.nodeId]))

/** Waits until `members` nodes are listed, every slot has an owner, and the owners held for two looks 2 s apart. */
const settledOwners = async (node: LocalNode, members: number, mustInclude?: string): Promise<Map<string, string | undefined>> => {
  const deadline = performance.now() + 180_000
  let previous = new Map<string, string | undefined>()
  for (;;) {
    await sleep(2_000)
    const answer = await view(node)
    if (answer._tag === "Right" && answer.right.nodes.length === members) {
      const owners = ownersOf(answer.right.routers, answer.right.partitions)
      const owned = [...owners.values()].every((owner) => owner !== undefined)
      const stable = owned && [...owners].every(([slot, owner]) => previous.get(slot) === owner)
      if (stable && (mustInclude === undefined || [...owners.values()].includes(mustInclude))) return owners
      previous = owners
    }
    if (performance.now() > deadline) throw new Error(`ownership over ${members} node(s) did not settle within 3 minutes`)
  }
}

/** CPU seconds (user + system) a process has used so far; 0 when it is gone. */
const cpuSeconds = (pid: number | undefined): number => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}
const natsPids = (): Array<number> =>
  readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "nats-server"
      } catch {
        return false
      }
    })
    .map(Number)

/**
 * Runs `count` nodes; once their ownership has settled, publishes the backlog and times it from
 * the first publish to "every router and partition caught up": the steady rate, not start-up.
 * Prints where the CPU went meanwhile (the nodes, the NATS servers).
 */
const throughput = async (count: number, base: number): Promise<number> => {
  const clusterName = `benchc${count}${runId}`.slice(0, 24)
  const options = clusterOptions(clusterName, base)
  const nodes = Array.from({ length: count }, (_, index) => startNode(options, index + 1))
  try {
    await Promise.all(nodes.map((node) => waitUntilRunning(node, 120_000)))
    await settledOwners(nodes[0]!, count)
    const nats = natsPids()
    const cpu = () => ({ nodes: nodes.reduce((sum, node) => sum + cpuSeconds(node.process.pid), 0), nats: nats.reduce((sum, pid) => sum + cpuSeconds(pid), 0), bench: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6 })
    const cpuBefore = cpu()
    const started = performance.now()
    await preload(clusterName)
    const published = performance.now()
    let traced = 0
    for (;;) {
      const answer = await view(nodes[0]!)
      if (answer._tag === "Right" && process.env.BENCH_TRACE !== undefined && performance.now() - traced > 1_000) {
        traced = performance.now()
        const routed = answer.right.routers.map((entry) => entry.progress?.appliedSequence ?? -1)
        const lag = answer.right.partitions.reduce((sum, entry) => sum + (entry.progress?.lag ?? 0), 0)
        console.log(`  ${((traced - started) / 1000).toFixed(1)} s: routers at ${Math.min(...routed)}..${Math.max(...routed)}, partitions' lag ${lag}`)
      }
      if (answer._tag === "Right" && caughtUp(answer.right.routers, answer.right.partitions, backlog)) break
      if (performance.now() - started > 600_000) throw new Error(`${count} node(s) did not catch up within 10 minutes`)
      await sleep(200)
    }
    const seconds = (performance.now() - started) / 1000
    const cpuAfter = cpu()
    const perSecond = Math.round(backlog / seconds)
    console.log(
      `throughput, ${count} node(s): ${backlog} events through ${correlatorCount + 1} correlators (${partitions} partitions each) in ${seconds.toFixed(1)} s = ${perSecond} events/s (publishing took ${((published - started) / 1000).toFixed(1)} s); CPU meanwhile: nodes ${(cpuAfter.nodes - cpuBefore.nodes).toFixed(1)} s, NATS servers ${(cpuAfter.nats - cpuBefore.nats).toFixed(1)} s, this load generator ${(cpuAfter.bench - cpuBefore.bench).toFixed(1)} s, of ${(2 * seconds).toFixed(1)} s on 2 cores`
    )
    return perSecond
  } finally {
    await Promise.all(nodes.map((node) => stopNode(node, "SIGTERM", 30_000)))
    await cleanUp(clusterName)
  }
}

/** Two nodes under a steady probe load; a third joins. */
const handoff = async (base: number) => {
  const clusterName = `benchh${runId}`.slice(0, 24)
  const options = clusterOptions(clusterName, base)
  const nodes = [startNode(options, 1), startNode(options, 2)]
  const sent = new Map<string, number>()
  const seen = new Map<string, { readonly delay: number; readonly partition: number | undefined }>()
  let publishing = true
  try {
    await Promise.all(nodes.map((node) => waitUntilRunning(node, 120_000)))
    const ownersBefore = await settledOwners(nodes[0]!, 2)

    // The probe: 500 events/s published straight to the events stream; their correlation events read back in order.
    const probe = run(
      Effect.gen(function* () {
        const bus = yield* EventBus
        const topics = Topics.make(clusterName)
        yield* bus.read(topics.correlations, topics.correlations.subjects[0]!, 1, 500, (batch) =>
          Effect.sync(() => {
            const now = performance.now()
            for (const { record } of batch) {
              if (record.correlatorId !== "probe") continue
              const baseId = record.event.BaseEventIDs?.[record.event.BaseEventIDs.length - 1]
              const at = baseId === undefined ? undefined : sent.get(baseId)
              if (baseId !== undefined && at !== undefined && !seen.has(baseId)) seen.set(baseId, { delay: now - at, partition: record.fence?.partition })
            }
          })
        )
        let index = 0
        while (publishing) {
          const records = Array.from({ length: 50 }, () => {
            const event: NormalizedEvent = { ID: crypto.randomUUID(), Timestamp: Date.now(), TenantID: source, Type: 1, DeviceProduct: "probe", SourceAddress: `10.9.${index % 250}.${index++ % 97}` }
            sent.set(event.ID, performance.now())
            return { collectorId, event }
          })
          yield* bus.publish(topics.events, records)
          yield* Effect.sleep("100 millis")
        }
        yield* Effect.sleep("3 seconds")
      })
    )
    await sleep(3_000)
    const joinedAt = performance.now()
    nodes.push(startNode(options, 3))
    await waitUntilRunning(nodes[2]!, 120_000)
    const runningAt = performance.now()
    const ownersAfter = await settledOwners(nodes[0]!, 3, "node-3")
    const settledAt = performance.now()
    await sleep(3_000)
    publishing = false
    await probe

    const moved = [...ownersBefore].filter(([slot, owner]) => ownersAfter.get(slot) !== owner).map(([slot]) => slot)
    const movedShare = moved.length / ownersBefore.size
    const movedProbe = new Set(moved.filter((slot) => slot.startsWith("probe/")).map((slot) => Number(slot.split("/")[1])))
    // The router's slot is the partition count: when it moved, every probe partition waited on it.
    const routerMoved = movedProbe.has(partitions)
    const delays = [...seen.entries()]
      .filter(([id, observed]) => {
        const at = sent.get(id)!
        return at >= joinedAt && at <= settledAt && (routerMoved || (observed.partition !== undefined && movedProbe.has(observed.partition)))
      })
      .map(([, observed]) => observed.delay)
      .sort((a, b) => a - b)
    const all = [...seen.values()].map((observed) => observed.delay).sort((a, b) => a - b)
    const percentile = (values: ReadonlyArray<number>, p: number) => (values.length === 0 ? Number.NaN : values[Math.min(values.length - 1, Math.floor(p * values.length))]!)
    const lost = [...sent.keys()].filter((id) => !seen.has(id)).length
    if (process.env.BENCH_TRACE !== undefined) {
      // The worst delay of every probe event sent in each 250 ms after the spawn: when the tail happens.
      const worst = new Map<number, [number, number]>()
      for (const [id, observed] of seen) {
        const slice = Math.floor((sent.get(id)! - joinedAt) / 250)
        if (slice < -4) continue
        const pair = worst.get(slice) ?? [0, 0]
        const movedKey = observed.partition !== undefined && movedProbe.has(observed.partition)
        pair[movedKey ? 0 : 1] = Math.max(pair[movedKey ? 0 : 1], observed.delay)
        worst.set(slice, pair)
      }
      console.log(`  node-3 running after ${((runningAt - joinedAt) / 1000).toFixed(1)} s, owners settled after ${((settledAt - joinedAt) / 1000).toFixed(1)} s`)
      console.log(
        `  worst probe delay (moved keys/others) per 250 ms sent after the spawn: ${[...worst]
          .sort(([a], [b]) => a - b)
          .map(([slice, [moved, others]]) => `${(slice / 4).toFixed(2)}s:${moved.toFixed(0)}/${others.toFixed(0)}`)
          .join(" ")}`
      )
    }
    console.log(`join: ${moved.length} of ${ownersBefore.size} slots moved (${(movedShare * 100).toFixed(1)}%; one third is 33.3%); probe router moved: ${routerMoved}; probe partitions moved: ${[...movedProbe].filter((p) => p !== partitions).join(",") || "none"}`)
    console.log(
      `probe delay, events for moved keys published during the handoff (${delays.length}): p50 ${percentile(delays, 0.5).toFixed(0)} ms, p99 ${percentile(delays, 0.99).toFixed(0)} ms, max ${(delays[delays.length - 1] ?? Number.NaN).toFixed(0)} ms; all probe events (${all.length}): p50 ${percentile(all, 0.5).toFixed(0)} ms, p99 ${percentile(all, 0.99).toFixed(0)} ms; without a correlation event: ${lost}`
    )
    return { movedShare, handoffP99Ms: Math.round(percentile(delays, 0.99)), movedSamples: delays.length, lost }
  } finally {
    publishing = false
    await Promise.all(nodes.map((node) => stopNode(node, "SIGTERM", 30_000)))
    await cleanUp(clusterName)
  }
}

/** Removes a run's streams, buckets and keyspace. */
const cleanUp = async (clusterName: string) => {
  const { connect } = await import("@nats-io/transport-node")
  const { jetstreamManager } = await import("@nats-io/jetstream")
  const connection = await connect({ servers: natsServers })
  try {
    const manager = await jetstreamManager(connection)
    const prefix = `CORVUS_${clusterName.toUpperCase()}_`
    for await (const name of manager.streams.names()) if (name.startsWith(prefix) || name.startsWith(`KV_${prefix}`)) await manager.streams.delete(name)
  } finally {
    await connection.close()
  }
  const client = new cassandra.Client({ contactPoints, localDataCenter: "datacenter1" })
  await client.execute(`DROP KEYSPACE IF EXISTS corvus_${clusterName}`).finally(() => client.shutdown())
}

const main = async () => {
  const base = 24_000 + Math.floor(Math.random() * 100) * 100
  if (process.env.BENCH_ONLY_HANDOFF !== undefined) {
    console.log(JSON.stringify(await handoff(base)))
    return
  }
  const one = await throughput(1, base)
  if (process.env.BENCH_ONLY_ONE !== undefined) return
  const two = await throughput(2, base)
  const scaleRatio = Number((two / one).toFixed(2))
  console.log(`scale: two nodes / one = ${scaleRatio} (target >= 1.8)`)
  const join = await handoff(base)
  console.log(
    JSON.stringify({ scaleRatio, movedShare: Number(join.movedShare.toFixed(3)), handoffP99Ms: join.handoffP99Ms, oneNodeEventsPerSecond: one, twoNodesEventsPerSecond: two, backlog, correlators: correlatorCount + 1, partitions, handoffSamples: join.movedSamples, probeLost: join.lost })
  )
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
