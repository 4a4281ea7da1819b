// Pipeline throughput of one node: JSON lines over TCP into a collector, through the bus, into
// the event store, through one correlator with a threshold rule, to alerts. Prints events/s
// from the first byte sent to the last event stored, read from the node's control plane.
// Usage: tsx bench/pipeline.ts [events] [embedded|cluster]; cluster mode needs
// `npm run services:up` (NATS on 14222-14224, Cassandra on 19042) and uses throwaway names.
import { Effect, type Layer, Schema } from "effect"
import { connect } from "node:net"
import * as ControlClient from "../cluster/control/ControlClient.ts"
import * as Node from "../cluster/Node.ts"
import * as NodeLayers from "../cluster/NodeLayers.ts"
import { Deployment } from "../model/Deployment.ts"

const total = Number(process.argv[2] ?? 200_000)
const mode = process.argv[3] === "cluster" ? "cluster" : "embedded"
const runId = Date.now().toString(36)
const layers: Layer.Layer<NodeLayers.NodePorts, unknown> =
  mode === "embedded"
    ? NodeLayers.embedded(":memory:")
    : NodeLayers.cluster(
        `bench${runId}`,
        { servers: ["nats://127.0.0.1:14222", "nats://127.0.0.1:14223", "nats://127.0.0.1:14224"], replicas: 3, connectionName: "corvus-bench" },
        { contactPoints: ["127.0.0.1:19042"], localDataCenter: "datacenter1", keyspace: `corvus_bench_${runId}`, replicationFactor: 1 }
      )

const deployment = Schema.decodeUnknownSync(Deployment)({
  tenants: [{ id: "main", name: "Main", main: true }, { id: "t2", name: "Tenant 2", main: false }],
  collectors: [{ id: "bench", tenantId: "t2", name: "bench", connector: { kind: "tcp", host: "127.0.0.1", port: 0 }, normalizer: "json" }],
  correlators: [
    {
      id: "soc",
      tenantId: "main",
      name: "SOC",
      sources: [{ tenantId: "t2" }],
      rules: [{ kind: "standard", id: "r1", name: "failures", selectors: [{ filter: { field: "EventOutcome", op: "=", value: "failure" }, threshold: 5 }], identicalFields: ["SourceAddress"], windowSeconds: 60, priority: 5 }]
    }
  ]
})

const payload = (): Buffer => {
  const now = Date.now()
  const lines: Array<string> = []
  for (let i = 0; i < total; i++) {
    lines.push(JSON.stringify({ Timestamp: now + i, EventOutcome: i % 4 === 0 ? "failure" : "success", SourceAddress: `10.0.${(i >> 10) & 255}.${i % 50}`, DestinationUserName: `user${i % 100}`, DeviceProduct: "bench" }))
  }
  return Buffer.from(lines.join("\n") + "\n")
}

const program = Effect.gen(function* () {
  const bytes = payload()
  const node = yield* Node.run(deployment, { nodeId: "bench", mode, host: "127.0.0.1", apiPort: 0, consolePort: 0, controlPort: 0, adminToken: "admin-token", version: "bench", partitions: Number(process.env.BENCH_PARTITIONS ?? 16) })
  const client = yield* ControlClient.make(node.controlAddress)
  const port = node.collectorPorts.get(deployment.collectors[0]!.id)!
  const started = performance.now()
  yield* Effect.promise(() => new Promise<void>((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.end(bytes, () => resolve()))
    socket.once("error", reject)
  }))
  let stored = 0
  while (stored < total) {
    yield* Effect.sleep("50 millis")
    stored = (yield* client.getNodeInfo()).counters.eventsStored
  }
  const seconds = (performance.now() - started) / 1000
  const info = yield* client.getNodeInfo()
  console.log(`pipeline (${mode}, 1 node process): ${total} events, ${(bytes.length / 1e6).toFixed(1)} MB of JSON lines`)
  console.log(`  stored in ${seconds.toFixed(2)} s = ${Math.round(total / seconds)} events/s; correlation events ${info.counters.correlationEvents}, parse errors ${info.counters.parseErrors}`)
  console.log(`  rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`)
}).pipe(Effect.scoped, Effect.provide(layers))

Effect.runPromise(program).then(() => process.exit(0), (error) => { console.error(error); process.exit(1) })
