// Starts, stops and kills a Cassandra node of a test's own through ops/cassandra (selected by
// CORVUS_CASSANDRA_INSTANCE), so fault tests never touch the node other test files share.
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"

/** The instances a test may stop or kill; the shared "default" node is deliberately not one. */
export type FaultInstance = "durability"

const opsDir = fileURLToPath(new URL("../../ops/cassandra/", import.meta.url))

const runScript = (script: string, args: ReadonlyArray<string>, instance: FaultInstance) =>
  new Promise<string>((resolve, reject) => {
    // stdin closed and output captured: ensure.sh detaches the server itself, so no server
    // ever holds the test's pipes.
    const child = execFile(
      "bash",
      [`${opsDir}${script}`, ...args],
      { env: { ...process.env, CORVUS_CASSANDRA_INSTANCE: instance }, maxBuffer: 16 * 1024 * 1024, timeout: 10 * 60_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`ops/cassandra/${script} ${args.join(" ")} (instance ${instance}) failed: ${error.message}\n${stderr}`))
        else resolve(stdout)
      }
    )
    child.stdin?.end()
  })

/** Starts the instance unless it already answers CQL; resolves with its contact point (host:port). */
export const ensureCassandra = async (instance: FaultInstance): Promise<string> => {
  const output = await runScript("ensure.sh", [], instance)
  const contactPoint = /^CASSANDRA_CONTACT_POINTS=(\S+)$/m.exec(output)?.[1]
  if (contactPoint === undefined) throw new Error(`ops/cassandra/ensure.sh printed no contact point:\n${output}`)
  return contactPoint
}

/**
 * Stops the instance: gracefully (drain and flush) or, with `kill`, by SIGKILL like a crash;
 * `wipe` also deletes its data.
 */
export const stopCassandra = async (instance: FaultInstance, options: { readonly kill?: boolean; readonly wipe?: boolean } = {}): Promise<void> => {
  await runScript("stop.sh", [...(options.kill === true ? ["--kill"] : []), ...(options.wipe === true ? ["--wipe"] : [])], instance)
}
