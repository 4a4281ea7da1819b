// `corvus migrate` against the real Cassandra: creates a keyspace with every schema file, reports
// nothing to do the second time, and refuses bad options with status 2.
import cassandra from "cassandra-driver"
import { afterAll, describe, expect, inject, it } from "vitest"
import { spawn } from "node:child_process"
import { readdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { fileURLToPath } from "node:url"
import { uniqueSuffix } from "../../test/support/testIds.ts"

const bin = fileURLToPath(new URL("./corvus.mjs", import.meta.url))
const schemaFiles = readdirSync(fileURLToPath(new URL("../../ops/schema/cassandra/", import.meta.url))).filter((name) => name.endsWith(".cql")).sort()
const keyspace = `corvus_migrate_${uniqueSuffix()}`
const contactPoints = inject("cassandraContactPoints")

const corvus = (args: ReadonlyArray<string>): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: tmpdir(), stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

afterAll(async () => {
  const client = new cassandra.Client({ contactPoints, localDataCenter: "datacenter1" })
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`)
  } finally {
    await client.shutdown()
  }
})

describe("corvus migrate", () => {
  it("applies every schema file once, then finds the schema up to date", async () => {
    const args = ["migrate", "--contact-points", contactPoints.join(","), "--keyspace", keyspace, "--replication", "1"]
    const first = await corvus(args)
    expect(first.stderr).toBe("")
    expect(first.code).toBe(0)
    expect(first.stdout.trim()).toBe(`keyspace ${keyspace}: applied ${schemaFiles.join(", ")}`)
    const second = await corvus(args)
    expect(second.code).toBe(0)
    expect(second.stdout.trim()).toBe(`keyspace ${keyspace}: schema up to date`)

    const client = new cassandra.Client({ contactPoints, localDataCenter: "datacenter1" })
    try {
      const tables = (await client.execute("SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?", [keyspace], { prepare: true })).rows.map((row) =>
        String(row.get("table_name"))
      )
      for (const table of ["events", "event_partitions", "event_days", "alerts", "incidents", "assets", "services", "users", "tokens", "resources", "resource_files", "checkpoints"]) {
        expect(tables, table).toContain(table)
      }
    } finally {
      await client.shutdown()
    }
  }, 120_000)

  it("refuses an unknown option or a bad replication factor with status 2 and says why", async () => {
    const [unknown, badReplication] = await Promise.all([corvus(["migrate", "--frobnicate"]), corvus(["migrate", "--replication", "zero"])])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/corvus migrate: .*frobnicate/)
    expect(badReplication.code).toBe(2)
    expect(badReplication.stderr).toMatch(/--replication must be a whole number/)
  }, 60_000)
})
