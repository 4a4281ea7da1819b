// The walking skeleton on the real services: a collector of tenant T takes JSON over TCP, the
// events travel through JetStream into Cassandra, a correlator owned by tenant C fires, the
// alert is C's, and the REST API shows the alert and finds the base events.
import { describe, expect, it } from "@effect/vitest"
import cassandra from "cassandra-driver"
import { Effect, Layer, Schema } from "effect"
import { afterAll, inject } from "vitest"
import * as ControlClient from "../../cluster/control/ControlClient.ts"
import * as Node from "../../cluster/Node.ts"
import { testNodeOptions } from "../support/testNode.ts"
import * as Topics from "../../cluster/Topics.ts"
import { Deployment } from "../../model/Deployment.ts"
import { apiGet, apiPost } from "../support/api.ts"
import { cassandraConfig, cassandraStores, natsBus, natsOwnership } from "../support/clusterLayers.ts"
import { eventually } from "../support/eventually.ts"
import { provisionUsers } from "../support/gatewayUsers.ts"
import { deleteBucketsWithPrefix } from "../support/kvCleanup.ts"
import { deleteStreams } from "../support/natsCleanup.ts"
import { sendLines } from "../support/sendLines.ts"
import { uniqueSuffix } from "../support/testIds.ts"

const clusterName = `e2e${uniqueSuffix()}`
afterAll(async () => {
  await deleteStreams(`CORVUS_${clusterName.toUpperCase()}_`)
  await deleteBucketsWithPrefix(`CORVUS_${clusterName.toUpperCase()}_`)
})

const T = "acme"
const C = "soc_owner"

const deployment = Schema.decodeUnknownSync(Deployment)({
  tenants: [
    { id: "main", name: "Main", main: true },
    { id: T, name: "Acme", main: false },
    { id: C, name: "SOC owner", main: false }
  ],
  collectors: [{ id: "acme-tcp", tenantId: T, name: "Acme TCP", connector: { kind: "tcp", host: "127.0.0.1", port: 0 }, normalizer: "json" }],
  correlators: [
    {
      id: "soc",
      tenantId: C,
      name: "SOC",
      sources: [{ tenantId: T }],
      rules: [
        {
          kind: "standard",
          id: "brute-force",
          name: "Brute force",
          selectors: [{ filter: { field: "EventOutcome", op: "=", value: "failure" }, threshold: 5 }],
          identicalFields: ["SourceAddress"],
          windowSeconds: 60,
          priority: 10
        }
      ]
    }
  ]
})


interface AlertJson {
  id: string
  tenantID: string
  name: string
  priority: number
  groupedBy: Array<string>
  events: Array<{ id: string; kind: string }>
}
interface EventJson {
  ID: string
  TenantID: string
  Type: number
  SourceAddress: string
  Timestamp: string
}

describe("walking skeleton on NATS JetStream and Cassandra", () => {
  it.live(
    "one event path: collector (tenant T) -> JetStream -> Cassandra -> correlator (tenant C) -> alert of C -> REST",
    () => {
      const keyspaceConfig = cassandraConfig()
      const layers = Layer.mergeAll(natsBus(), cassandraStores(keyspaceConfig), natsOwnership(clusterName), Topics.layer(clusterName))

      return Effect.gen(function* () {
        const node = yield* Node.run(deployment, testNodeOptions("e2e-node", { mode: "cluster", partitions: 4 }))
        yield* provisionUsers([
          { login: "acme-analyst", token: "acme-token", roles: [[T, "tier-1-analyst"]] },
          { login: "soc-analyst", token: "soc-token", roles: [[C, "tier-1-analyst"]] }
        ])
        const collectorPort = node.collectorPorts.get(deployment.collectors[0]!.id)!
        const now = Date.now()
        const failure = (address: string, i: number) =>
          JSON.stringify({ Timestamp: new Date(now + i).toISOString(), EventOutcome: "failure", SourceAddress: address, DestinationUserName: `user${i}`, TenantID: "main" })
        yield* Effect.promise(() =>
          sendLines("127.0.0.1", collectorPort, [
            ...[0, 1, 2, 3, 4].map((i) => failure("10.1.1.1", i)),
            "this is not json",
            ...[0, 1, 2].map((i) => failure("10.2.2.2", i)),
            JSON.stringify({ Timestamp: new Date(now).toISOString(), EventOutcome: "success", SourceAddress: "10.1.1.1" })
          ])
        )

        // The alert appears, owned by the correlator's tenant C.
        const alerts = yield* eventually(
          Effect.promise(() => apiGet<Array<AlertJson>>(node.apiUrl!, "/api/v1/alerts?withEvents", "admin-token")),
          (response) => response.status === 200 && response.body.length >= 1
        )
        expect(alerts.body).toHaveLength(1)
        const alert = alerts.body[0]!
        expect(alert.tenantID).toBe(C)
        expect(alert.name).toBe("Brute force")
        expect(alert.priority).toBe(10)
        expect(alert.groupedBy).toEqual(["SourceAddress"])
        expect(alert.events.filter((event) => event.kind === "base")).toHaveLength(5)

        // Only users of tenant C see it; tenant T's analyst does not.
        expect((yield* Effect.promise(() => apiGet<Array<AlertJson>>(node.apiUrl!, "/api/v1/alerts", "soc-token"))).body.map((a) => a.id)).toEqual([alert.id])
        expect((yield* Effect.promise(() => apiGet<Array<AlertJson>>(node.apiUrl!, "/api/v1/alerts", "acme-token"))).body).toEqual([])

        // Event search finds the base events of T in the period, and the correlation event of C.
        const period = { from: new Date(now - 60_000).toISOString(), to: new Date(now + 60_000).toISOString() }
        const search = yield* eventually(
          Effect.promise(() =>
            apiPost<Array<EventJson>>(node.apiUrl!, "/api/v1/events", "admin-token", {
              period,
              sql: "SELECT ID, TenantID, Type, SourceAddress, Timestamp FROM events WHERE SourceAddress = '10.1.1.1' AND EventOutcome = 'failure'"
            })
          ),
          (response) => response.status === 200 && response.body.filter((event) => event.Type === 1).length >= 5
        )
        const base = search.body.filter((event) => event.Type === 1)
        expect(base).toHaveLength(5)
        expect(new Set(base.map((event) => event.TenantID))).toEqual(new Set([T]))
        expect(new Set(alert.events.filter((event) => event.kind === "base").map((event) => event.id))).toEqual(new Set(base.map((event) => event.ID)))
        const correlation = yield* eventually(
          Effect.promise(() => apiPost<Array<EventJson>>(node.apiUrl!, "/api/v1/events", "admin-token", { period, sql: "SELECT ID, TenantID, Type FROM events WHERE Type = 2" })),
          (response) => response.status === 200 && response.body.length >= 1
        )
        expect(correlation.body.map((event) => [event.ID, event.TenantID])).toEqual([[alert.id, C]])

        // Tenant T's analyst finds T's events but not C's correlation event.
        const asAcme = yield* Effect.promise(() => apiPost<Array<EventJson>>(node.apiUrl!, "/api/v1/events", "acme-token", { period, sql: "SELECT ID, TenantID, Type FROM events" }))
        expect(asAcme.body.length).toBe(9)
        expect(asAcme.body.every((event) => event.TenantID === T && event.Type === 1)).toBe(true)

        // Cassandra holds the events in partitions keyed by tenant and time bucket.
        const direct = new cassandra.Client({ contactPoints: [...inject("cassandraContactPoints")], localDataCenter: "datacenter1" })
        const partitionKey = yield* Effect.promise(async () => {
          try {
            const rows = await direct.execute(
              "SELECT kind, column_name, position FROM system_schema.columns WHERE keyspace_name = ? AND table_name = 'events'",
              [keyspaceConfig.keyspace]
            )
            return rows.rows
              .filter((row) => row.get("kind") === "partition_key")
              .sort((a, b) => Number(a.get("position")) - Number(b.get("position")))
              .map((row) => String(row.get("column_name")))
          } finally {
            await direct.shutdown()
          }
        })
        expect(partitionKey).toEqual(["tenant_id", "bucket", "shard"])

        // Bad input was counted, the rest of the stream went through, and the control plane reports it.
        const info = yield* Effect.scoped(
          Effect.flatMap(ControlClient.make(node.controlAddress), (client) => client.getNodeInfo())
        )
        expect(info.counters.parseErrors).toBe(1)
        expect(info.counters.eventsReceived).toBe(10)
        expect(info.mode).toBe("cluster")
      }).pipe(Effect.scoped, Effect.provide(layers), Effect.orDie)
    },
    120_000
  )
})
