// `npm run cluster -- --nodes 3`: N Corvus nodes on loopback over the local NATS and Cassandra
// (started by ops/services-up.sh first). Prints where each node answers and the admin token,
// then waits; Ctrl-C (or SIGTERM) stops the nodes gracefully: each hands its partitions over.
import { randomBytes } from "node:crypto"
import { parseArgs } from "node:util"
import { join } from "node:path"
import { caDirOf, startNode, stopNode, waitUntilRunning, type LocalNode } from "./LocalCluster.ts"

const usage = `Usage: npm run cluster -- [--nodes N] [--partitions P] [--name NAME] [--no-demo] [--deployment FILE]

Starts N Corvus nodes (default 3) in cluster mode on 127.0.0.1 over the local NATS cluster and
Cassandra; node i serves the API on 7223 + 10(i-1), the console on 7220 + 10(i-1) and control on
7225 + 10(i-1). Logs and data go to .corvus/cluster/<name>/. Stop with Ctrl-C.`

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "3" },
    partitions: { type: "string", default: "16" },
    name: { type: "string", default: "local" },
    "no-demo": { type: "boolean", default: false },
    deployment: { type: "string" },
    help: { type: "boolean", short: "h", default: false }
  },
  strict: true,
  allowPositionals: false
})
if (values.help) {
  console.log(usage)
  process.exit(0)
}
const count = Number(values.nodes)
const partitions = Number(values.partitions)
if (!Number.isInteger(count) || count < 1 || count > 9 || !Number.isInteger(partitions) || partitions < 1) {
  console.error(`cluster: --nodes must be 1 to 9 and --partitions a whole number of at least 1\n\n${usage}`)
  process.exit(2)
}

const adminToken = process.env.CORVUS_ADMIN_TOKEN ?? randomBytes(24).toString("base64url")
const options = {
  clusterName: values.name,
  baseDir: `.corvus/cluster/${values.name}`,
  adminToken,
  partitions,
  natsUrl: process.env.CORVUS_NATS_URL ?? "nats://127.0.0.1:14222,nats://127.0.0.1:14223,nats://127.0.0.1:14224",
  cassandraContactPoints: process.env.CORVUS_CASSANDRA_CONTACT_POINTS ?? "127.0.0.1:19042",
  demo: !values["no-demo"],
  ...(values.deployment !== undefined ? { deploymentFile: values.deployment } : {})
}

const nodes: Array<LocalNode> = []
let stopping = false
const stopAll = async (code: number) => {
  if (stopping) return
  stopping = true
  console.log(`stopping ${nodes.length} node(s) gracefully...`)
  await Promise.all(nodes.map((node) => stopNode(node)))
  process.exit(code)
}
process.on("SIGINT", () => void stopAll(0))
process.on("SIGTERM", () => void stopAll(0))

try {
  // The first node applies the schema migrations; the others start once it runs.
  nodes.push(startNode(options, 1))
  await waitUntilRunning(nodes[0]!)
  for (let index = 2; index <= count; index++) nodes.push(startNode(options, index))
  await Promise.all(nodes.slice(1).map((node) => waitUntilRunning(node)))
} catch (error) {
  console.error(String(error))
  await stopAll(1)
}
console.log(`Corvus cluster "${options.clusterName}": ${count} node(s), ${partitions} partitions per correlator`)
for (const node of nodes) console.log(`  ${node.nodeId}: API ${node.apiUrl}/api/v1/  console ${node.consoleUrl}/  control ${node.controlAddress}  log ${node.logFile}`)
console.log(`  admin token: ${process.env.CORVUS_ADMIN_TOKEN === undefined ? adminToken : "from CORVUS_ADMIN_TOKEN"}`)
console.log(`  HTTPS: trust ${join(caDirOf(options), "ca.crt")} (the installation's CA), e.g. curl --cacert`)
console.log(`  status: node cluster/cli/corvus.mjs cluster status --control ${nodes[0]!.controlAddress}`)
console.log("Ctrl-C stops every node (each hands its partitions over first).")
for (const node of nodes) {
  node.process.on("exit", (code, signal) => {
    if (!stopping) console.error(`${node.nodeId} exited unexpectedly (${code ?? signal}); see ${node.logFile}`)
  })
}
