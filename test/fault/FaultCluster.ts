// A real Corvus cluster for fault tests: node processes over the test NATS and Cassandra, a
// steady generated load through a NATS collector that every node runs (one queue group), and
// the check every fault must pass: what the events stream accepted is stored once, and the
// stored correlation events and the alerts are exactly those of one whole engine fed the same
// stream in the same order (the single-node oracle), none lost, none doubled.
import { connect, type NatsConnection } from "@nats-io/transport-node"
import { Effect, Layer, Schema } from "effect"
import { mkdtempSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { expect, inject } from "vitest"
import { CorrelatorEngine } from "../../actors/CorrelatorEngine.ts"
import * as NatsEventBus from "../../cluster/bus/NatsEventBus.ts"
import * as ControlClient from "../../cluster/control/ControlClient.ts"
import { EventBus } from "../../cluster/EventBus.ts"
import { layerOwnershipConnection } from "../../cluster/ownership/OwnershipNames.ts"
import * as PartitionLeases from "../../cluster/ownership/PartitionLeases.ts"
import * as Topics from "../../cluster/Topics.ts"
import type { Alert } from "../../model/Alert.ts"
import { canExtend, extendAlert, openAlert } from "../../model/AlertLifecycle.ts"
import type { NormalizedEvent } from "../../model/Event.ts"
import { CorrelatorId, TenantId } from "../../model/Ids.ts"
import { CorrelatorSpec } from "../../model/Rule.ts"
import { startNode, stopNode, waitUntilRunning, type LocalClusterOptions, type LocalNode } from "../../ops/cluster/LocalCluster.ts"
import { AlertStore } from "../../storage/AlertStore.ts"
import * as CassandraAlertStore from "../../storage/cassandra/CassandraAlertStore.ts"
import * as CassandraClient from "../../storage/cassandra/CassandraClient.ts"
import * as CassandraEventStore from "../../storage/cassandra/CassandraEventStore.ts"
import { EventStore } from "../../storage/EventStore.ts"
import { dropKeyspace } from "../support/dropKeyspace.ts"
import { deleteBucketsWithPrefix } from "../support/kvCleanup.ts"
import { deleteStreams } from "../support/natsCleanup.ts"
import { uniqueSuffix } from "../support/testIds.ts"

const main = TenantId.make("main")
const source = TenantId.make("t2")
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
      // Longer than a load's span of event time: windows are open whenever a fault strikes.
      windowSeconds: 600,
      actions: [{ trigger: "onFirstThreshold" }, { trigger: "onSubsequentThresholds" }]
    }
  ]
}

export const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))

/** What the load does at one event index (kill, pause, start a node); awaited in line. */
export type LoadStep = () => Promise<void>

export interface FaultCluster {
  readonly nodes: ReadonlyMap<number, LocalNode>
  /** Starts node `index` (again) and waits until it runs. */
  readonly start: (index: number) => Promise<void>
  /** Starts node `index` without waiting; `running` waits for it. */
  readonly launch: (index: number) => void
  readonly running: (index: number) => Promise<void>
  readonly stop: (index: number, signal: NodeJS.Signals) => Promise<void>
  readonly signal: (index: number, signal: NodeJS.Signals) => void
  /** The node (index) holding a lease now: a correlator partition, its router (slot = partitions) or "alert-service". */
  readonly holderOf: (name: string, partition: number) => Promise<number | undefined>
  /** `corvus node drain` through the node's control plane. */
  readonly drain: (index: number) => Promise<number>
  /** Publishes `events` more events at `perSecond`, running `steps` at their indexes (0-based within this load). */
  readonly load: (events: number, perSecond: number, steps?: Readonly<Record<number, LoadStep>>) => Promise<void>
  /** Waits for the cluster to catch up and checks everything accepted so far against the oracle. */
  readonly verify: () => Promise<{ readonly accepted: number; readonly correlations: number; readonly alerts: number }>
  readonly close: () => Promise<void>
}

/** A cluster named for this test, with nodes numbered from 1; none started yet. */
export const makeFaultCluster = (partitions: number): FaultCluster => {
  const clusterName = `fault${uniqueSuffix()}`.toLowerCase().slice(0, 24)
  const natsServers = inject("natsServers")
  const contactPoints = inject("cassandraContactPoints")
  const subject = `faulttest.${clusterName}.in`
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
  // Below the ephemeral range (32768+), and apart from the isolation test's 25000-31900.
  const base = 20_000 + Math.floor(Math.random() * 50) * 100
  const options: LocalClusterOptions = {
    clusterName,
    baseDir: join(dir, "nodes"),
    adminToken: "fault-test-token",
    partitions,
    natsUrl: natsServers.join(","),
    cassandraContactPoints: contactPoints.join(","),
    demo: false,
    deploymentFile,
    basePorts: { api: base + 3, console: base, control: base + 5, collectors: base + 7 }
  }
  const nodes = new Map<number, LocalNode>()
  const logOffsets = new Map<number, number>()
  let published = 0
  let connection: NatsConnection | undefined

  const launch = (index: number) => {
    const previous = nodes.get(index)
    // Replacing a live process would leak it past the test (close stops only the ones it knows).
    if (previous !== undefined && previous.process.exitCode === null && previous.process.signalCode === null) throw new Error(`node-${index} is still running`)
    logOffsets.set(index, previous === undefined ? 0 : statSync(previous.logFile).size)
    nodes.set(index, startNode(options, index))
  }
  const running = (index: number) => waitUntilRunning(nodes.get(index)!, 90_000, logOffsets.get(index) ?? 0)

  const stores = Layer.merge(CassandraEventStore.layer, CassandraAlertStore.layer).pipe(
    Layer.provide(CassandraClient.layer({ contactPoints, localDataCenter: "datacenter1", keyspace: `corvus_${clusterName}`, replicationFactor: 1 }))
  )

  // The events stream in its own order, as the routers read it: what the cluster accepted.
  const streamOrder = (atLeast: number) =>
    Effect.scoped(
      Effect.gen(function* () {
        const bus = yield* EventBus
        const topics = Topics.make(clusterName)
        const events: Array<NormalizedEvent> = []
        yield* bus.read(topics.events, topics.events.subjects[0]!, 1, 500, (batch) => Effect.sync(() => events.push(...batch.map((entry) => entry.record.event))))
        const deadline = Date.now() + 30_000
        while (events.length < atLeast && Date.now() < deadline) yield* Effect.sleep("200 millis")
        // Collectors that held events while their node was paused or slow publish them late.
        let seen = -1
        while (seen !== events.length) {
          seen = events.length
          yield* Effect.sleep("1500 millis")
        }
        return [...events]
      })
    ).pipe(Effect.provide(NatsEventBus.layer({ servers: natsServers, replicas: 3, connectionName: "fault-oracle" })))

  const observe = Effect.gen(function* () {
    const events = yield* EventStore
    const alerts = yield* AlertStore
    const period = { from: t0 - 60_000, to: Date.now() + 3_600_000 }
    const stored = yield* events.search({ tenantIds: [source], ...period, filter: { and: [] }, limit: 1_000_000, order: "asc" })
    const correlations = yield* events.search({ tenantIds: [main], ...period, filter: { field: "Type", op: "=", value: 2 }, limit: 1_000_000, order: "asc" })
    const alertList = yield* alerts.list({ tenantIds: [main], ids: [], statuses: [], timestampField: "lastSeen", page: 1, pageSize: 1_000_000 })
    return { stored, correlations, alertList }
  }).pipe(Effect.provide(stores), Effect.scoped)

  // The alerts one node makes of the oracle's correlation events, each as its sorted correlation event IDs.
  const oracleAlerts = (correlations: ReturnType<CorrelatorEngine["processBatch"]>["correlations"]) => {
    const latest = new Map<string, Alert>()
    const all: Array<Alert> = []
    for (const correlation of correlations) {
      const key = `${correlation.ruleId}\u0000${correlation.groupKey}`
      const open = latest.get(key)
      if (open !== undefined && canExtend(open, correlation.event)) {
        const extended = extendAlert(open, correlation.event, 0)
        all[all.indexOf(open)] = extended
        latest.set(key, extended)
      } else {
        const opened = openAlert(correlation.event, { correlatorId: CorrelatorId.make(correlator.id), ruleId: correlation.ruleId, groupKey: correlation.groupKey }, 0)
        all.push(opened)
        latest.set(key, opened)
      }
    }
    return all
  }
  const alertShape = (alerts: ReadonlyArray<Alert>) => alerts.map((alert) => [...alert.correlationEventIDs].sort().join(",")).sort()

  return {
    nodes,
    launch,
    running,
    start: async (index) => {
      launch(index)
      await running(index)
    },
    stop: (index, signal) => stopNode(nodes.get(index)!, signal, 30_000),
    signal: (index, signal) => {
      nodes.get(index)!.process.kill(signal)
    },
    holderOf: (name, partition) =>
      Effect.runPromise(
        Effect.gen(function* () {
          const leases = yield* PartitionLeases.make({ clusterName, replicas: 3 })
          const view = yield* leases.current(CorrelatorId.make(name), partition)
          return view._tag === "Some" ? Number(view.value.owner.replace("node-", "")) : undefined
        }).pipe(Effect.provide(layerOwnershipConnection({ servers: natsServers, replicas: 3, connectionName: "fault-leases" })), Effect.scoped)
      ),
    drain: (index) =>
      Effect.runPromise(
        Effect.scoped(Effect.flatMap(ControlClient.make(nodes.get(index)!.controlAddress), (client) => client.drain())).pipe(Effect.map((result) => result.partitionsHandedOver))
      ),
    load: async (events, perSecond, steps = {}) => {
      connection ??= await connect({ servers: natsServers })
      const batch = Math.max(1, Math.round(perSecond / 10))
      const startedAt = Date.now()
      for (let index = 0; index < events; index++) {
        const step = steps[index]
        if (step !== undefined) await step()
        const n = published++
        const event = {
          Timestamp: t0 + n * 100,
          EventOutcome: n % 5 === 0 ? "success" : "failure",
          SourceAddress: `10.1.${n % 4}.${n % 37}`,
          DestinationUserName: `user${n % 11}`
        }
        connection.publish(subject, JSON.stringify(event))
        if (index % batch === batch - 1) {
          await connection.flush()
          // Paced against the start, so a slow step does not slow the rate after it.
          const due = startedAt + ((index + 1) * 1_000) / perSecond
          await sleep(Math.max(0, due - Date.now()))
        }
      }
      await connection.flush()
    },
    verify: async () => {
      const accepted = await Effect.runPromise(streamOrder(Math.floor(published * 0.5)))
      const whole = new CorrelatorEngine(Schema.decodeUnknownSync(CorrelatorSpec)(correlator))
      const oracle = whole.processBatch(accepted).correlations
      const expected = oracle.map((correlation) => correlation.event.ID).sort()
      const expectedAlerts = alertShape(oracleAlerts(oracle))

      let last = await Effect.runPromise(observe)
      const caughtUp = (observed: typeof last) =>
        observed.stored.length >= accepted.length &&
        observed.correlations.length >= expected.length &&
        new Set(observed.alertList.flatMap((alert) => alert.correlationEventIDs)).size >= expected.length
      const deadline = Date.now() + 120_000
      while (Date.now() < deadline && !caughtUp(last)) {
        await sleep(1_000)
        last = await Effect.runPromise(observe)
      }
      // Anything late (a doubled alert, a stray correlation event) shows up here.
      await sleep(2_000)
      last = await Effect.runPromise(observe)

      // Every accepted event stored, once.
      expect(last.stored.map((event) => event.ID).sort()).toEqual(accepted.map((event) => event.ID).sort())
      // Exactly the oracle's correlation events: none lost, none with a different identity.
      expect(last.correlations.map((event) => event.ID).sort()).toEqual(expected)
      // Exactly the oracle's alerts, each holding the same correlation events; all the main tenant's.
      const inAlerts = last.alertList.flatMap((alert) => alert.correlationEventIDs)
      expect(new Set(inAlerts).size).toBe(inAlerts.length)
      expect(alertShape(last.alertList)).toEqual(expectedAlerts)
      for (const alert of last.alertList) expect(alert.tenantID).toBe(main)
      return { accepted: accepted.length, correlations: expected.length, alerts: expectedAlerts.length }
    },
    close: async () => {
      await connection?.close()
      // A node left paused by a failed test could not handle SIGTERM.
      for (const node of nodes.values()) if (node.process.exitCode === null && node.process.signalCode === null) node.process.kill("SIGCONT")
      await Promise.all([...nodes.values()].map((node) => stopNode(node, "SIGTERM", 15_000)))
      const prefix = `CORVUS_${clusterName.toUpperCase()}_`
      await deleteStreams(prefix)
      await deleteBucketsWithPrefix(prefix)
      await dropKeyspace(contactPoints, `corvus_${clusterName}`)
    }
  }
}
