// The one typed configuration of a node process, read from the environment with defaults;
// secrets stay Redacted so they never reach a log line.
import { Config, type Redacted } from "effect"
import { EdgeRoles, type EdgeRole } from "./Node.ts"

export interface NodeConfig {
  readonly mode: "embedded" | "cluster"
  readonly nodeId: string
  /** Names the cluster's streams and subjects, so clusters can share a NATS. */
  readonly clusterName: string
  /** Address the API, console, control and demo collectors bind (loopback by default). */
  readonly host: string
  readonly apiPort: number
  readonly consolePort: number
  readonly controlPort: number
  readonly adminToken: Redacted.Redacted<string> | undefined
  /** The admin's console password, set on every start; without it a fresh installation gets a generated one. */
  readonly adminPassword: Redacted.Redacted<string> | undefined
  /** Days an open incident takes new alerts of its tenant sharing an asset or account after its last update. */
  readonly autoLinkWindowDays: number
  /** API and console over HTTPS with a certificate from the installation's CA (created at first start); plain HTTP only when turned off. */
  readonly https: boolean
  /** Where the embedded store keeps its database. */
  readonly dataDir: string
  /** The installation's CA and this node's certificate; `<dataDir>/ca` unless set (cluster nodes share one CA). */
  readonly caDir: string | undefined
  /** A JSON or YAML deployment file; the built-in demo deployment when absent. */
  readonly deploymentFile: string | undefined
  /** Whether the demo generator feeds the demo collectors. */
  readonly demo: boolean
  /** First port of the demo deployment's collectors (one per demo tenant, consecutive). */
  readonly demoCollectorPort: number
  readonly natsServers: ReadonlyArray<string>
  readonly natsReplicas: number
  readonly cassandraContactPoints: ReadonlyArray<string>
  readonly cassandraDataCenter: string
  readonly cassandraKeyspace: string
  readonly cassandraReplication: number
  /** Partitions of each correlator that can be split (a cluster spreads them over its nodes). */
  readonly partitions: number
  /** Roles besides correlation this node runs (collector, store, gateway); all by default. */
  readonly edgeRoles: ReadonlyArray<EdgeRole>
}

const list = (name: string, fallback: string) =>
  Config.string(name).pipe(
    Config.withDefault(fallback),
    Config.map((value) => value.split(",").map((item) => item.trim()).filter((item) => item.length > 0))
  )

/** Days an open incident stays a candidate for automatic linking: the node's default, a tenant's settings may change it. */
export const AutoLinkWindowDays: Config.Config<number> = Config.integer("CORVUS_INCIDENT_AUTOLINK_DAYS").pipe(
  Config.withDefault(7),
  Config.validate({ message: "CORVUS_INCIDENT_AUTOLINK_DAYS must be 0 to 3650", validation: (days) => days >= 0 && days <= 3650 })
)

export const NodeConfig: Config.Config<NodeConfig> = Config.all({
  mode: Config.literal("embedded", "cluster")("CORVUS_MODE").pipe(Config.withDefault("embedded" as const), Config.withDescription("embedded: one process, no servers; cluster: NATS + Cassandra")),
  nodeId: Config.string("CORVUS_NODE_ID").pipe(Config.withDefault("node-1")),
  clusterName: Config.string("CORVUS_CLUSTER_NAME").pipe(Config.withDefault("corvus")),
  host: Config.string("CORVUS_HOST").pipe(Config.withDefault("127.0.0.1")),
  apiPort: Config.port("CORVUS_API_PORT").pipe(Config.withDefault(7223)),
  consolePort: Config.port("CORVUS_CONSOLE_PORT").pipe(Config.withDefault(7220)),
  controlPort: Config.port("CORVUS_CONTROL_PORT").pipe(Config.withDefault(7225)),
  autoLinkWindowDays: AutoLinkWindowDays,
  https: Config.boolean("CORVUS_HTTPS").pipe(Config.withDefault(true), Config.withDescription("false serves the API and console over plain HTTP")),
  adminToken: Config.option(Config.redacted("CORVUS_ADMIN_TOKEN")).pipe(Config.map((value) => (value._tag === "Some" ? value.value : undefined))),
  adminPassword: Config.option(Config.redacted("CORVUS_ADMIN_PASSWORD")).pipe(Config.map((value) => (value._tag === "Some" ? value.value : undefined))),
  dataDir: Config.string("CORVUS_DATA_DIR").pipe(Config.withDefault(".corvus/data")),
  caDir: Config.option(Config.string("CORVUS_CA_DIR")).pipe(Config.map((value) => (value._tag === "Some" ? value.value : undefined))),
  deploymentFile: Config.option(Config.string("CORVUS_DEPLOYMENT")).pipe(Config.map((value) => (value._tag === "Some" ? value.value : undefined))),
  demo: Config.boolean("CORVUS_DEMO").pipe(Config.withDefault(true)),
  demoCollectorPort: Config.port("CORVUS_DEMO_COLLECTOR_PORT").pipe(Config.withDefault(7241)),
  natsServers: list("CORVUS_NATS_URL", "nats://127.0.0.1:14222,nats://127.0.0.1:14223,nats://127.0.0.1:14224"),
  natsReplicas: Config.integer("CORVUS_NATS_REPLICAS").pipe(Config.withDefault(3)),
  cassandraContactPoints: list("CORVUS_CASSANDRA_CONTACT_POINTS", "127.0.0.1:19042"),
  cassandraDataCenter: Config.string("CORVUS_CASSANDRA_DC").pipe(Config.withDefault("datacenter1")),
  cassandraKeyspace: Config.string("CORVUS_CASSANDRA_KEYSPACE").pipe(Config.withDefault("corvus")),
  cassandraReplication: Config.integer("CORVUS_CASSANDRA_RF").pipe(Config.withDefault(1)),
  edgeRoles: list("CORVUS_ROLES", EdgeRoles.join(",")).pipe(
    Config.validate({
      message: `CORVUS_ROLES lists roles besides correlation, among ${EdgeRoles.join(", ")}`,
      validation: (roles) => roles.every((role) => (EdgeRoles as ReadonlyArray<string>).includes(role))
    }),
    Config.map((roles) => roles as ReadonlyArray<EdgeRole>),
    Config.withDescription("roles this node runs besides correlation, which every node runs")
  ),
  partitions: Config.integer("CORVUS_PARTITIONS").pipe(Config.withDefault(16), Config.validate({ message: "CORVUS_PARTITIONS must be 1 to 1024", validation: (value) => value >= 1 && value <= 1024 }))
})
