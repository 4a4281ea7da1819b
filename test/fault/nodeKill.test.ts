// Fault test on a real 3-node cluster (separate processes over the test NATS and Cassandra):
// a steady load flows in through a NATS collector on every node; one node is SIGKILLed with
// windows open and restarted later. The oracle is one whole engine fed the events stream in its
// own order (what a single node would have correlated): every accepted event must be stored,
// and the stored correlation events and the alerts must be exactly the oracle's, none lost,
// none doubled.
import { connect } from "@nats-io/transport-node"
import cassandra from "cassandra-driver"
import { Effect, Layer, Schema } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, inject, it } from "vitest"
import { CorrelatorEngine } from "../../actors/CorrelatorEngine.ts"
import * as NatsEventBus from "../../cluster/bus/NatsEventBus.ts"
import { EventBus } from "../../cluster/EventBus.ts"
import * as Topics from "../../cluster/Topics.ts"
import type { NormalizedEvent } from "../../model/Event.ts"
import { TenantId } from "../../model/Ids.ts"
import { CorrelatorSpec } from "../../model/Rule.ts"
import { AlertStore } from "../../storage/AlertStore.ts"
import * as CassandraAlertStore from "../../storage/cassandra/CassandraAlertStore.ts"
import * as CassandraClient from "../../storage/cassandra/CassandraClient.ts"
import * as CassandraEventStore from "../../storage/cassandra/CassandraEventStore.ts"
import { EventStore } from "../../storage/EventStore.ts"
import { startNode, stopNode, waitUntilRunning, type LocalClusterOptions, type LocalNode } from "../../ops/cluster/LocalCluster.ts"
import { deleteBucketsWithPrefix } from "../support/kvCleanup.ts"
import { deleteStreams } from "../support/natsCleanup.ts"
import { uniqueSuffix } from "../support/testIds.ts"

const clusterName = `fault${uniqueSuffix()}`.toLowerCase().slice(0, 24)
const prefix = `CORVUS_${clusterName.toUpperCase()}_`
const natsServers = inject("natsServers")
const contactPoints = inject("cassandraContactPoints")
const keyspace = `corvus_${clusterName}`
const subject = `faulttest.${clusterName}.in`
const main = TenantId.make("main")
const tenant = TenantId.make("t2")
const Events = 1_500
const t0 = Date.UTC(2026, 10, 22, 9, 0, 0)

const correlator = {
  id: "soc",
  tenantId: "main",
  name: "SOC",
  sources: [{ tenantId: "t2" }],
  rules: [
    {
      kind: "standard",
      id: "guessing",
      name: "Password guessing",
      selectors: [{ filter: { field: "EventOutcome", op: "=", value: "failure" }, threshold: 3 }],
      identicalFields: ["SourceAddress"],
      // Longer than the load's span of event time: windows are open when the node dies.
      windowSeconds: 600,
      actions: [{ trigger: "onFirstThreshold" }, { trigger: "onSubsequentThresholds" }]
    }
  ]
}

const dir = mkdtempSync(join(tmpdir(), "corvus-fault-"))
const deploymentFile = join(dir, "deployment.json")
writeFileSync(
  deploymentFile,
  JSON.stringify({
    tenants: [
      { id: "main", name: "Main", main: true },
      { id: "t2", name: "Tenant 2", main: false }
    ],
    collectors: [{ id: "in", tenantId: "t2", name: "NATS intake", connector: { kind: "nats", servers: natsServers, subject, queue: "collectors" }, normalizer: "json" }],
    correlators: [correlator]
  })
)

const base = 20_000 + Math.floor(Math.random() * 400) * 100
const options: LocalClusterOptions = {
  clusterName,
  baseDir: join(dir, "nodes"),
  adminToken: "fault-test-token",
  partitions: 8,
  natsUrl: natsServers.join(","),
  cassandraContactPoints: contactPoints.join(","),
  demo: false,
  deploymentFile,
  basePorts: { api: base + 3, console: base, control: base + 5, collectors: base + 7 }
}
const nodes: Array<LocalNode> = []

afterAll(async () => {
  await Promise.all(nodes.map((node) => stopNode(node, "SIGTERM", 15_000)))
  await deleteStreams(prefix)
  await deleteBucketsWithPrefix(prefix)
  const client = new cassandra.Client({ contactPoints, localDataCenter: "datacenter1" })
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).finally(() => client.shutdown())
}, 120_000)

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))

/** The events stream in its own order, as every router consumed it. */
const streamOrder = (expected: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const bus = yield* EventBus
      const topics = Topics.make(clusterName)
      const events: Array<NormalizedEvent> = []
      yield* bus.read(topics.events, topics.events.subjects[0]!, 1, 500, (batch) => Effect.sync(() => events.push(...batch.map((entry) => entry.record.event))))
      const deadline = Date.now() + 30_000
      while (events.length < expected && Date.now() < deadline) yield* Effect.sleep("200 millis")
      yield* Effect.sleep("1 second")
      return [...events]
    })
  ).pipe(Effect.provide(NatsEventBus.layer({ servers: natsServers, replicas: 3, connectionName: "fault-oracle" })))

const stores = Layer.merge(CassandraEventStore.layer, CassandraAlertStore.layer).pipe(
  Layer.provide(CassandraClient.layer({ contactPoints, localDataCenter: "datacenter1", keyspace, replicationFactor: 1 }))
)

describe("3-node cluster under faults", () => {
  it("SIGKILL a node mid-window and restart it: nothing accepted is lost, no correlation event or alert is lost or doubled", async () => {
    nodes.push(startNode(options, 1))
    await waitUntilRunning(nodes[0]!)
    nodes.push(startNode(options, 2), startNode(options, 3))
    await Promise.all(nodes.slice(1).map((node) => waitUntilRunning(node)))
    // Let the three nodes settle who owns which partition before the load starts.
    await sleep(3_000)

    const connection = await connect({ servers: natsServers })
    let restartedAt = 0
    try {
      for (let index = 0; index < Events; index++) {
        const event = {
          Timestamp: t0 + index * 100,
          EventOutcome: index % 5 === 0 ? "success" : "failure",
          SourceAddress: `10.1.${index % 4}.${index % 37}`,
          DestinationUserName: `user${index % 11}`
        }
        connection.publish(subject, JSON.stringify(event))
        if (index % 50 === 49) {
          await connection.flush()
          await sleep(60)
        }
        if (index === Math.floor(Events / 3)) await stopNode(nodes[1]!, "SIGKILL")
        if (index === Math.floor((2 * Events) / 3)) {
          restartedAt = (await import("node:fs")).statSync(nodes[1]!.logFile).size
          nodes[1] = startNode(options, 2)
        }
      }
      await connection.flush()
    } finally {
      await connection.close()
    }
    await waitUntilRunning(nodes[1]!, 90_000, restartedAt)

    // Raw events a killed collector held in memory were never accepted: the stream says what was.
    const accepted = await Effect.runPromise(streamOrder(Math.floor(Events * 0.9)))
    expect(accepted.length).toBeGreaterThan(Events * 0.6)
    const whole = new CorrelatorEngine(Schema.decodeUnknownSync(CorrelatorSpec)(correlator))
    const expected = whole.processBatch(accepted).correlations.map((correlation) => correlation.event.ID).sort()
    expect(expected.length).toBeGreaterThan(100)

    const period = { from: t0 - 60_000, to: Date.now() + 3_600_000 }
    const observe = Effect.gen(function* () {
      const events = yield* EventStore
      const alerts = yield* AlertStore
      const stored = yield* events.search({ tenantIds: [tenant], ...period, filter: { and: [] }, limit: 100_000, order: "asc" })
      const correlations = yield* events.search({ tenantIds: [main], ...period, filter: { field: "Type", op: "=", value: 2 }, limit: 100_000, order: "asc" })
      const alertList = yield* alerts.list({ tenantIds: [main], ids: [], statuses: [], timestampField: "lastSeen", page: 1, pageSize: 100_000 })
      return { stored, correlations, alertList }
    }).pipe(Effect.provide(stores), Effect.scoped)

    let last = await Effect.runPromise(observe)
    const deadline = Date.now() + 120_000
    const inAlertsOf = (observed: typeof last) => new Set(observed.alertList.flatMap((alert) => alert.correlationEventIDs)).size
    while (Date.now() < deadline && (last.stored.length < accepted.length || last.correlations.length < expected.length || inAlertsOf(last) < expected.length)) {
      await sleep(1_000)
      last = await Effect.runPromise(observe)
    }
    await sleep(2_000)
    last = await Effect.runPromise(observe)

    // Every accepted event stored, once.
    expect(last.stored.map((event) => event.ID).sort()).toEqual(accepted.map((event) => event.ID).sort())
    // Exactly the oracle's correlation events: none lost, none with a different identity.
    expect(last.correlations.map((event) => event.ID).sort()).toEqual(expected)
    // Alerts: every correlation event in exactly one alert of the main tenant.
    const inAlerts = last.alertList.flatMap((alert) => alert.correlationEventIDs)
    expect(new Set(inAlerts).size).toBe(inAlerts.length)
    expect([...inAlerts].sort()).toEqual(expected)
    for (const alert of last.alertList) expect(alert.tenantID).toBe(main)
  }, 360_000)
})
