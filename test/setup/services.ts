// Global test setup: makes sure the real services run (installing them on a fresh machine)
// through ops/services-up.sh, and hands their addresses to the tests. A service that cannot
// start fails the whole run with its log tail; no test passes by doing nothing.
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import type { TestProject } from "vitest/node"

declare module "vitest" {
  export interface ProvidedContext {
    natsServers: Array<string>
    cassandraContactPoints: Array<string>
  }
}

const script = fileURLToPath(new URL("../../ops/services-up.sh", import.meta.url))

export default async function setup(project: TestProject): Promise<void> {
  const started = Date.now()
  const output = await new Promise<string>((resolve, reject) => {
    // stdin closed and output captured: the servers themselves are detached by the scripts.
    const child = execFile("bash", [script], { maxBuffer: 16 * 1024 * 1024, timeout: 20 * 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`ops/services-up.sh failed (${error.message}):\n${stderr}`))
      else resolve(stdout)
    })
    child.stdin?.end()
  })
  const values = new Map(
    output
      .split("\n")
      .map((line) => line.trim().split("="))
      .filter((parts) => parts.length === 2)
      .map(([key, value]) => [key!, value!] as const)
  )
  const nats = values.get("NATS_URL")
  const cassandra = values.get("CASSANDRA_CONTACT_POINTS")
  if (nats === undefined || cassandra === undefined) throw new Error(`ops/services-up.sh printed no addresses:\n${output}`)
  project.provide("natsServers", nats.split(","))
  project.provide("cassandraContactPoints", cassandra.split(","))
  console.log(`test services ready in ${((Date.now() - started) / 1000).toFixed(1)} s: NATS ${nats}, Cassandra ${cassandra}`)
}
