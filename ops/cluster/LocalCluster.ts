// A Corvus cluster of N node processes on loopback, over the local NATS and Cassandra that
// ops/services-up.sh runs: for operators trying the cluster (`npm run cluster`) and for tests
// that kill, pause and restart real nodes. Each node logs to its own file; none inherits the
// caller's stdout or stderr.
import { spawn, type ChildProcess } from "node:child_process"
import { mkdirSync, openSync, readFileSync, closeSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../", import.meta.url))

export interface LocalClusterOptions {
  readonly clusterName: string
  /** Where node data directories and logs go. */
  readonly baseDir: string
  readonly adminToken: string
  readonly partitions: number
  readonly natsUrl: string
  readonly cassandraContactPoints: string
  /** Whether node 1 runs the demo event generator. */
  readonly demo: boolean
  /** A deployment file for every node; the demo deployment when absent. */
  readonly deploymentFile?: string
  /** Roles besides correlation every node runs (CORVUS_ROLES); all when absent. */
  readonly roles?: ReadonlyArray<string>
  /** Ports of node i are these plus 10 x (i - 1). */
  readonly basePorts?: { readonly api: number; readonly console: number; readonly control: number; readonly collectors: number }
}

/** One node process and where it answers. */
export interface LocalNode {
  readonly index: number
  readonly nodeId: string
  readonly apiUrl: string
  readonly consoleUrl: string
  readonly controlAddress: string
  readonly logFile: string
  process: ChildProcess
}

/** The cluster's installation CA directory (`ca.crt` is what clients trust). */
export const caDirOf = (options: LocalClusterOptions): string => join(options.baseDir, "ca")

const DefaultPorts = { api: 7223, console: 7220, control: 7225, collectors: 7241 }

/** The environment of node `index` (1-based): the one typed config every node reads (cluster/NodeConfig.ts). */
export const nodeEnvironment = (options: LocalClusterOptions, index: number): Record<string, string> => {
  const ports = options.basePorts ?? DefaultPorts
  const offset = 10 * (index - 1)
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    CORVUS_MODE: "cluster",
    CORVUS_NODE_ID: `node-${index}`,
    CORVUS_CLUSTER_NAME: options.clusterName,
    CORVUS_API_PORT: String(ports.api + offset),
    CORVUS_CONSOLE_PORT: String(ports.console + offset),
    CORVUS_CONTROL_PORT: String(ports.control + offset),
    CORVUS_DEMO_COLLECTOR_PORT: String(ports.collectors + offset),
    CORVUS_DEMO: String(options.demo && index === 1),
    CORVUS_ADMIN_TOKEN: options.adminToken,
    CORVUS_DATA_DIR: join(options.baseDir, `node-${index}`),
    // One installation, one CA: every node's HTTPS certificate comes from it.
    CORVUS_CA_DIR: caDirOf(options),
    CORVUS_PARTITIONS: String(options.partitions),
    CORVUS_NATS_URL: options.natsUrl,
    CORVUS_CASSANDRA_CONTACT_POINTS: options.cassandraContactPoints,
    CORVUS_CASSANDRA_KEYSPACE: `corvus_${options.clusterName.replaceAll("-", "_").toLowerCase()}`,
    ...(options.deploymentFile !== undefined ? { CORVUS_DEPLOYMENT: options.deploymentFile } : {}),
    ...(options.roles !== undefined ? { CORVUS_ROLES: options.roles.join(",") } : {})
  }
}

/** Starts node `index` detached, logging to `<baseDir>/node-<index>.log` (appended across restarts). */
export const startNode = (options: LocalClusterOptions, index: number): LocalNode => {
  mkdirSync(options.baseDir, { recursive: true })
  const env = nodeEnvironment(options, index)
  const logFile = join(options.baseDir, `node-${index}.log`)
  const log = openSync(logFile, "a")
  const child = spawn(process.execPath, ["--max-semi-space-size=32", "--import", "tsx", "cluster/main.ts"], {
    cwd: root,
    env,
    // Own process group and no inherited pipes: a test runner or CI never waits on a node.
    detached: true,
    stdio: ["ignore", log, log]
  })
  closeSync(log)
  return {
    index,
    nodeId: env.CORVUS_NODE_ID!,
    apiUrl: `https://127.0.0.1:${env.CORVUS_API_PORT}`,
    consoleUrl: `https://127.0.0.1:${env.CORVUS_CONSOLE_PORT}`,
    controlAddress: `127.0.0.1:${env.CORVUS_CONTROL_PORT}`,
    logFile,
    process: child
  }
}

/** Resolves once the node printed its banner; rejects with its log tail if it exits or takes too long. */
export const waitUntilRunning = async (node: LocalNode, timeoutMillis = 90_000, since = 0): Promise<void> => {
  const deadline = Date.now() + timeoutMillis
  for (;;) {
    const text = readFileSync(node.logFile, "utf8").slice(since)
    if (text.includes("Corvus ") && text.includes("is running")) return
    if (node.process.exitCode !== null || node.process.signalCode !== null) {
      throw new Error(`${node.nodeId} exited (${node.process.exitCode ?? node.process.signalCode}):\n${text.slice(-3_000)}`)
    }
    if (Date.now() > deadline) throw new Error(`${node.nodeId} did not start within ${timeoutMillis} ms:\n${text.slice(-3_000)}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/** Sends `signal` and resolves when the process is gone (SIGKILL after `graceMillis`). */
export const stopNode = async (node: LocalNode, signal: NodeJS.Signals = "SIGTERM", graceMillis = 30_000): Promise<void> => {
  const child = node.process
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  child.kill(signal)
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMillis)
  await exited
  clearTimeout(timer)
}
