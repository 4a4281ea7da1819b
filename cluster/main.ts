// The node process entry point: reads the config, wires the layers of its mode, runs every
// role and, in the demo, feeds the demo collectors. `npm start` runs this single-node.
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer, Redacted } from "effect"
import { randomBytes } from "node:crypto"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import type { ConnectorSpec } from "../model/Connector.ts"
import { decodeDeployment } from "../model/Deployment.ts"
import * as DemoGenerator from "./DemoGenerator.ts"
import { demoDeployment } from "./DemoDeployment.ts"
import { loadDeployment } from "./DeploymentFile.ts"
import * as Node from "./Node.ts"
import { NodeConfig } from "./NodeConfig.ts"
import * as NodeLayers from "./NodeLayers.ts"

/** Where a collector takes its input, for the start-up banner. */
const describeConnector = (connector: ConnectorSpec, port: number | undefined): string => {
  if (connector.kind === "nats") return `nats subject ${connector.subject}`
  const scheme = connector.kind === "syslog" ? `syslog+${connector.transport}` : connector.kind
  return `${scheme}://${connector.host}:${port ?? connector.port}${connector.kind === "http" ? "/input" : ""}`
}

const version = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version

const program = Effect.gen(function* () {
  const config = yield* NodeConfig
  const deployment = config.deploymentFile !== undefined ? yield* loadDeployment(config.deploymentFile) : yield* decodeDeployment(demoDeployment(config.host, config.demoCollectorPort))
  const generated = config.adminToken === undefined
  const adminToken = config.adminToken !== undefined ? Redacted.value(config.adminToken) : randomBytes(24).toString("base64url")
  // Given only if this start creates the admin, so a password changed in the console survives restarts.
  const adminInitialPassword = randomBytes(12).toString("base64url")

  const layers: Layer.Layer<NodeLayers.NodePorts, unknown> =
    config.mode === "embedded"
      ? NodeLayers.embedded(config.dataDir)
      : NodeLayers.cluster(
          config.clusterName,
          { servers: config.natsServers, replicas: config.natsReplicas, connectionName: `corvus-${config.nodeId}` },
          {
            contactPoints: config.cassandraContactPoints,
            localDataCenter: config.cassandraDataCenter,
            keyspace: config.cassandraKeyspace,
            replicationFactor: config.cassandraReplication
          }
        )

  const caDir = config.caDir ?? join(config.dataDir, "ca")
  yield* Effect.gen(function* () {
    const node = yield* Node.run(deployment, {
      nodeId: config.nodeId,
      mode: config.mode,
      host: config.host,
      apiPort: config.apiPort,
      consolePort: config.consolePort,
      controlPort: config.controlPort,
      adminToken,
      adminTokenGenerated: generated,
      ...(config.adminPassword !== undefined ? { adminPassword: Redacted.value(config.adminPassword) } : { adminInitialPassword }),
      version,
      partitions: config.partitions,
      edgeRoles: config.edgeRoles,
      caDir,
      https: config.https,
      autoLinkWindowDays: config.autoLinkWindowDays,
      deploymentFile: config.deploymentFile
    })
    if (config.demo && config.deploymentFile === undefined) {
      yield* DemoGenerator.run(
        deployment.collectors.flatMap((collector) =>
          collector.connector.kind === "tcp" ? [{ host: collector.connector.host, port: node.collectorPorts.get(collector.id) ?? collector.connector.port, tenantLabel: collector.tenantId }] : []
        )
      )
    }
    yield* Console.log(
      [
        `Corvus ${version} is running (${config.mode} mode, node ${config.nodeId}).`,
        `  console:  ${node.consoleUrl === undefined ? "not on this node (CORVUS_ROLES)" : `${node.consoleUrl}/`}`,
        `  API:      ${node.apiUrl === undefined ? "not on this node (CORVUS_ROLES)" : `${node.apiUrl}/api/v1/`}`,
        `  control:  grpc://${node.controlAddress}`,
        ...deployment.collectors.map((collector) => `  collector ${collector.id} (tenant ${collector.tenantId}): ${describeConnector(collector.connector, node.collectorPorts.get(collector.id))}`),
        `  admin token${generated ? " (generated; set CORVUS_ADMIN_TOKEN to choose one)" : ""}: ${generated ? adminToken : "from CORVUS_ADMIN_TOKEN"}`,
        `  console sign-in: admin / ${
          config.adminPassword !== undefined
            ? "the password in CORVUS_ADMIN_PASSWORD"
            : node.adminCreated
              ? `${adminInitialPassword} (generated now, shown once; change it in the console or set CORVUS_ADMIN_PASSWORD)`
              : "the password set at first start (or CORVUS_ADMIN_PASSWORD to reset it)"
        }`,
        config.demo && config.deploymentFile === undefined ? "  demo events are flowing; alerts appear within about 15 s (CORVUS_DEMO=false turns them off)" : "",
        `  try: curl${config.https ? ` --cacert ${join(caDir, "ca.crt")}` : ""} -H "Authorization: Bearer <token>" ${node.apiUrl ?? "<a gateway node>"}/api/v1/alerts`
      ]
        .filter((line) => line !== "")
        .join("\n")
    )
    return yield* Effect.never
    // The node's own scope closes first (handing partitions over, draining consumers) while the
    // bus and the stores it needs are still open.
  }).pipe(Effect.scoped, Effect.provide(layers))
})

NodeRuntime.runMain(Effect.scoped(program))
