// The five tenant scenarios of SPEC §1 end to end on a real 3-node cluster (issue 7, point 6):
// NATS collectors of tenants main, t2 and t3 -> routers -> partitions -> storage -> alerts ->
// the REST API over HTTPS, asked as a user of every tenant involved. One deployment holds every
// scenario's correlators; each scenario's events carry their own DeviceProduct, so a scenario's
// rules see only its events.
import { connect, type NatsConnection } from "@nats-io/transport-node"
import { Effect, Layer } from "effect"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { caDirOf, startNode, stopNode, waitUntilRunning, type LocalClusterOptions, type LocalNode } from "../../ops/cluster/LocalCluster.ts"
import * as CassandraClient from "../../storage/cassandra/CassandraClient.ts"
import * as CassandraUserStore from "../../storage/cassandra/CassandraUserStore.ts"
import { apiGet, apiPost } from "../support/api.ts"
import { provisionUsers } from "../support/gatewayUsers.ts"
import { dropKeyspace } from "../support/dropKeyspace.ts"
import { deleteBucketsWithPrefix } from "../support/kvCleanup.ts"
import { deleteStreams } from "../support/natsCleanup.ts"
import { uniqueSuffix } from "../support/testIds.ts"

const clusterName = `iso${uniqueSuffix()}`.toLowerCase().slice(0, 24)
const natsServers = inject("natsServers")
const contactPoints = inject("cassandraContactPoints")
const subjectOf = (tenant: string) => `isotest.${clusterName}.${tenant}`

const product = (name: string) => ({ field: "DeviceProduct", op: "=", value: name })
const tenantIs = (tenant: string) => ({ field: "TenantID", op: "=", value: tenant })
const standard = (id: string, name: string, selectors: ReadonlyArray<unknown>, identicalFields: ReadonlyArray<string>, sendTo: ReadonlyArray<string> = []) => ({
  kind: "standard",
  id,
  name,
  selectors,
  identicalFields,
  windowSeconds: 3_600,
  actions: [{ trigger: "onFirstThreshold", sendTo }]
})

const deployment = {
  tenants: [
    { id: "main", name: "Main", main: true },
    { id: "t2", name: "Tenant 2", main: false },
    { id: "t3", name: "Tenant 3", main: false }
  ],
  collectors: ["main", "t2", "t3"].map((tenant) => ({
    id: `in-${tenant}`,
    tenantId: tenant,
    name: `NATS intake of ${tenant}`,
    connector: { kind: "nats", servers: natsServers, subject: subjectOf(tenant), queue: "collectors" },
    normalizer: "json"
  })),
  correlators: [
    // 1. Tenant 2 owns collector and correlator.
    { id: "s1", tenantId: "t2", name: "S1 of tenant 2", sources: [{ tenantId: "t2", collectorId: "in-t2" }], rules: [standard("s1", "S1 rule", [{ filter: product("s1"), threshold: 2 }], ["SourceAddress"])] },
    // 2. Tenant 2's collector feeds a correlator owned by tenant 2 and one owned by the main tenant.
    { id: "s2t2", tenantId: "t2", name: "S2 owned by tenant 2", sources: [{ tenantId: "t2" }], rules: [standard("s2", "S2 tenant rule", [{ filter: product("s2"), threshold: 2 }], ["SourceAddress"])] },
    { id: "s2main", tenantId: "main", name: "S2 owned by main", sources: [{ tenantId: "t2" }], rules: [standard("s2", "S2 main rule", [{ filter: product("s2"), threshold: 2 }], ["SourceAddress"])] },
    // 3. Tenants 2 and 3 feed one main correlator whose rule needs both.
    {
      id: "s3",
      tenantId: "main",
      name: "S3 central",
      sources: [{ tenantId: "t2" }, { tenantId: "t3" }],
      rules: [standard("s3", "S3 rule", [{ filter: { and: [product("s3"), tenantIs("t2")] } }, { filter: { and: [product("s3"), tenantIs("t3")] } }], ["SourceAddress"])]
    },
    // 4. Tenant 2 correlates its own events and sends its correlation events on to a main correlator that also takes main's collector.
    { id: "s4t2", tenantId: "t2", name: "S4 of tenant 2", sources: [{ tenantId: "t2" }], rules: [standard("s4", "S4 tenant rule", [{ filter: product("s4"), threshold: 2 }], ["SourceAddress"], ["s4main"])] },
    {
      id: "s4main",
      tenantId: "main",
      name: "S4 central",
      sources: [{ tenantId: "main" }],
      rules: [
        standard(
          "s4c",
          "S4 central rule",
          [{ filter: { and: [{ field: "Type", op: "=", value: 2 }, { field: "CorrelationRuleName", op: "=", value: "S4 tenant rule" }] } }, { filter: { and: [product("s4"), tenantIs("main")] } }],
          ["SourceAddress"]
        )
      ]
    },
    // 5. One main correlator takes tenants 2 and 3 with TenantID among the identical fields.
    { id: "s5", tenantId: "main", name: "S5 central", sources: [{ tenantId: "t2" }, { tenantId: "t3" }], rules: [standard("s5", "S5 rule", [{ filter: product("s5"), threshold: 2 }], ["TenantID", "SourceAddress"])] }
  ]
}

const dir = mkdtempSync(join(tmpdir(), "corvus-isolation-"))
const deploymentFile = join(dir, "deployment.json")
writeFileSync(deploymentFile, JSON.stringify(deployment))
// Below the ephemeral range (32768+), and apart from the fault test's 20000-24900.
const base = 25_000 + Math.floor(Math.random() * 70) * 100
const options: LocalClusterOptions = {
  clusterName,
  baseDir: join(dir, "nodes"),
  adminToken: "isolation-admin-token",
  partitions: 4,
  natsUrl: natsServers.join(","),
  cassandraContactPoints: contactPoints.join(","),
  demo: false,
  deploymentFile,
  basePorts: { api: base + 3, console: base, control: base + 5, collectors: base + 7 }
}
const keyspace = `corvus_${clusterName}`
const nodes: Array<LocalNode> = []
let connection: NatsConnection | undefined
let ca = ""

const users = {
  admin: "isolation-admin-token",
  t2: "t2-analyst-token",
  t3: "t3-analyst-token",
  main: "main-analyst-token"
} as const

interface AlertJson {
  readonly id: string
  readonly tenantID: string
  readonly name: string
  readonly groupedBy: ReadonlyArray<string>
  readonly events?: ReadonlyArray<{ readonly id: string; readonly kind: string }>
}
interface EventJson {
  readonly ID: string
  readonly TenantID: string
  readonly CorrelationRuleName?: string
}

/** A node's API, round-robin: every node serves the same answers. */
let turn = 0
const apiOf = () => nodes[turn++ % nodes.length]!.apiUrl
const alertsAs = async (token: string, query = "") => {
  const response = await apiGet<ReadonlyArray<AlertJson>>(apiOf(), `/api/v1/alerts?withEvents${query}`, token, ca)
  expect(response.status).toBe(200)
  return response.body
}
const correlationEventsAs = async (token: string, ruleName: string) => {
  const response = await apiPost<ReadonlyArray<EventJson>>(
    apiOf(),
    "/api/v1/events",
    token,
    { period: { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() }, sql: `SELECT * FROM events WHERE Type = 2 and CorrelationRuleName = '${ruleName}'` },
    ca
  )
  expect(response.status).toBe(200)
  return response.body
}
const named = (alerts: ReadonlyArray<AlertJson>, name: string) => alerts.filter((alert) => alert.name === name)

/** Polls until the general administrator sees `count` alerts named `name`. */
const alertsNamed = async (name: string, count: number): Promise<ReadonlyArray<AlertJson>> => {
  const deadline = Date.now() + 90_000
  for (;;) {
    const found = named(await alertsAs(users.admin), name)
    if (found.length >= count) return found
    if (Date.now() > deadline) throw new Error(`${count} alert(s) named '${name}' did not appear within 90 s (found ${found.length})`)
    await new Promise((resolve) => setTimeout(resolve, 1_000))
  }
}

const send = (tenant: string, events: ReadonlyArray<Record<string, unknown>>) => {
  for (const event of events) connection!.publish(subjectOf(tenant), JSON.stringify({ Timestamp: Date.now(), ...event }))
}

beforeAll(async () => {
  nodes.push(startNode(options, 1))
  await waitUntilRunning(nodes[0]!, 120_000)
  nodes.push(startNode(options, 2), startNode(options, 3))
  await Promise.all(nodes.slice(1).map((node) => waitUntilRunning(node, 120_000)))
  ca = readFileSync(join(caDirOf(options), "ca.crt"), "utf8")
  // Users are made in the cluster's own user store, as an administrator would make them.
  await Effect.runPromise(
    provisionUsers([
      { login: "t2-analyst", token: users.t2, roles: [["t2", "tier-1-analyst"]] },
      { login: "t3-analyst", token: users.t3, roles: [["t3", "tier-1-analyst"]] },
      { login: "main-analyst", token: users.main, roles: [["main", "tier-1-analyst"]] }
    ]).pipe(Effect.provide(CassandraUserStore.layer.pipe(Layer.provide(CassandraClient.layer({ contactPoints, localDataCenter: "datacenter1", keyspace, replicationFactor: 1 })))), Effect.orDie)
  )
  connection = await connect({ servers: natsServers })
  // Ownership settles before events flow (each scenario also waits for its alerts).
  await new Promise((resolve) => setTimeout(resolve, 3_000))
  send("t2", [
    { DeviceProduct: "s1", SourceAddress: "10.0.1.1" },
    { DeviceProduct: "s1", SourceAddress: "10.0.1.1" },
    { DeviceProduct: "s2", SourceAddress: "10.0.2.1" },
    { DeviceProduct: "s2", SourceAddress: "10.0.2.1" },
    { DeviceProduct: "s3", SourceAddress: "10.0.3.1" },
    { DeviceProduct: "s4", SourceAddress: "10.0.4.1" },
    { DeviceProduct: "s4", SourceAddress: "10.0.4.1" },
    { DeviceProduct: "s5", SourceAddress: "10.0.5.1" },
    { DeviceProduct: "s5", SourceAddress: "10.0.5.1" }
  ])
  send("t3", [
    { DeviceProduct: "s3", SourceAddress: "10.0.3.1" },
    { DeviceProduct: "s5", SourceAddress: "10.0.5.1" },
    { DeviceProduct: "s5", SourceAddress: "10.0.5.1" }
  ])
  await connection.flush()
  // Main's own event for scenario 4 comes after tenant 2's correlation event can have been forwarded.
  await alertsNamed("S4 tenant rule", 1)
  send("main", [{ DeviceProduct: "s4", SourceAddress: "10.0.4.1" }])
  await connection.flush()
}, 300_000)

afterAll(async () => {
  await connection?.close()
  await Promise.all(nodes.map((node) => stopNode(node, "SIGTERM", 15_000)))
  const prefix = `CORVUS_${clusterName.toUpperCase()}_`
  await deleteStreams(prefix)
  await deleteBucketsWithPrefix(prefix)
  await dropKeyspace(contactPoints, keyspace)
}, 120_000)

describe("tenant isolation end to end on a 3-node cluster (SPEC §1)", () => {
  it("1. tenant 2 owns collector and correlator: the correlation event, its storage and the alert are tenant 2's, and tenant 2 sees the alert and its events", async () => {
    const [alert] = await alertsNamed("S1 rule", 1)
    expect(alert!.tenantID).toBe("t2")
    const seenByT2 = named(await alertsAs(users.t2), "S1 rule")
    expect(seenByT2.map((entry) => entry.id)).toEqual([alert!.id])
    expect(seenByT2[0]!.events!.filter((event) => event.kind === "base")).toHaveLength(2)
    const stored = await correlationEventsAs(users.t2, "S1 rule")
    expect(stored.map((event) => event.TenantID)).toEqual(["t2"])
    expect(named(await alertsAs(users.t3), "S1 rule")).toEqual([])
    expect(named(await alertsAs(users.main), "S1 rule")).toEqual([])
  }, 120_000)

  it("2. tenant 2's collector feeding a tenant 2 correlator gives tenant 2 results; feeding a main correlator gives main results tenant 2 cannot see", async () => {
    const [own] = await alertsNamed("S2 tenant rule", 1)
    const [central] = await alertsNamed("S2 main rule", 1)
    expect([own!.tenantID, central!.tenantID]).toEqual(["t2", "main"])
    const seenByT2 = await alertsAs(users.t2)
    expect(named(seenByT2, "S2 tenant rule").map((entry) => entry.id)).toEqual([own!.id])
    expect(named(seenByT2, "S2 main rule")).toEqual([])
    // Asking for the main alert by id answers as for an id that does not exist.
    expect(await alertsAs(users.t2, `&id=${central!.id}`)).toEqual(await alertsAs(users.t2, "&id=00000000-0000-4000-8000-000000000000"))
    expect(await correlationEventsAs(users.t2, "S2 main rule")).toEqual([])
    expect((await correlationEventsAs(users.main, "S2 main rule")).map((event) => event.TenantID)).toEqual(["main"])
  }, 120_000)

  it("3. tenants 2 and 3 feed one main correlator whose rule needs both: one alert, the main tenant's, invisible to tenants 2 and 3", async () => {
    const found = await alertsNamed("S3 rule", 1)
    expect(found.map((alert) => alert.tenantID)).toEqual(["main"])
    expect(found[0]!.events!.filter((event) => event.kind === "base")).toHaveLength(2)
    for (const token of [users.t2, users.t3]) {
      expect(named(await alertsAs(token), "S3 rule")).toEqual([])
      expect(await correlationEventsAs(token, "S3 rule")).toEqual([])
    }
    expect(named(await alertsAs(users.main), "S3 rule")).toHaveLength(1)
  }, 120_000)

  it("4. tenant 2's correlation event sent on to a main correlator that also takes main's collector: alert 1 is tenant 2's, alert 2 the main tenant's and invisible to tenant 2", async () => {
    const [first] = await alertsNamed("S4 tenant rule", 1)
    const [second] = await alertsNamed("S4 central rule", 1)
    expect([first!.tenantID, second!.tenantID]).toEqual(["t2", "main"])
    const forwarded = (await correlationEventsAs(users.t2, "S4 tenant rule")).map((event) => event.ID)
    expect(forwarded).toHaveLength(1)
    // The central alert was made of tenant 2's correlation event and main's own event.
    expect(second!.events!.map((event) => event.id)).toEqual(expect.arrayContaining(forwarded))
    const seenByT2 = await alertsAs(users.t2)
    expect(named(seenByT2, "S4 tenant rule")).toHaveLength(1)
    expect(named(seenByT2, "S4 central rule")).toEqual([])
    expect(await correlationEventsAs(users.t2, "S4 central rule")).toEqual([])
  }, 120_000)

  it("5. one main correlator takes tenants 2 and 3 with TenantID among the identical fields: a group and an alert per tenant, both the main tenant's", async () => {
    const found = await alertsNamed("S5 rule", 2)
    expect(found).toHaveLength(2)
    expect(found.map((alert) => alert.tenantID)).toEqual(["main", "main"])
    expect(found.map((alert) => alert.groupedBy.join("|"))).toEqual(["TenantID|SourceAddress", "TenantID|SourceAddress"])
    // Each alert's group is one tenant's: its base events are all of t2, or all of t3.
    const tenantsOfAlert = await Promise.all(
      found.map(async (alert) => {
        const ids = alert.events!.filter((event) => event.kind === "base").map((event) => `'${event.id}'`)
        const response = await apiPost<ReadonlyArray<EventJson>>(
          apiOf(),
          "/api/v1/events",
          users.admin,
          { period: { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() }, sql: `SELECT * FROM events WHERE ID in (${ids.join(", ")})` },
          ca
        )
        expect(response.body).toHaveLength(2)
        return [...new Set(response.body.map((event) => event.TenantID))].join(",")
      })
    )
    expect(tenantsOfAlert.sort()).toEqual(["t2", "t3"])
    for (const token of [users.t2, users.t3]) expect(named(await alertsAs(token), "S5 rule")).toEqual([])
  }, 120_000)
})
