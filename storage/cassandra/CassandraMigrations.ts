// Applies the CQL files of ops/schema/cassandra in name order, once each, recording them in
// schema_migrations; `{{keyspace}}` and `{{replication}}` are filled in per deployment.
import type cassandra from "cassandra-driver"
import { Effect } from "effect"
import { readdir, readFile } from "node:fs/promises"
import { fileURLToPath } from "node:url"
import { CassandraError } from "./CassandraError.ts"
import { Tables } from "./CassandraTables.ts"

const SchemaDirectory = fileURLToPath(new URL("../../ops/schema/cassandra/", import.meta.url))

const statementsOf = (text: string): Array<string> =>
  text
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("--"))
    .join("\n")
    .split(/;\s*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0)

/** Runs every migration not yet applied to `keyspace`; answers the files it applied, in order. */
export const migrate = (client: cassandra.Client, keyspace: string, replicationFactor: number) =>
  Effect.tryPromise({
    try: async (): Promise<Array<string>> => {
      if (!/^[a-z][a-z0-9_]{0,47}$/.test(keyspace)) throw new Error(`invalid keyspace name '${keyspace}'`)
      const files = (await readdir(SchemaDirectory)).filter((name) => name.endsWith(".cql")).sort()
      const fill = (text: string) => text.replaceAll("{{keyspace}}", keyspace).replaceAll("{{replication}}", String(replicationFactor))
      // The keyspace must exist before the ledger can be read.
      const first = files[0]
      if (first === undefined) throw new Error(`no migrations in ${SchemaDirectory}`)
      const [createKeyspace] = statementsOf(fill(await readFile(SchemaDirectory + first, "utf8")))
      if (createKeyspace !== undefined) await client.execute(createKeyspace)
      await client.execute(`CREATE TABLE IF NOT EXISTS ${keyspace}.${Tables.migrations} (name text PRIMARY KEY, applied_at timestamp)`)
      const applied = new Set((await client.execute(`SELECT name FROM ${keyspace}.${Tables.migrations}`)).rows.map((row) => String(row.get("name"))))
      const now: Array<string> = []
      for (const file of files) {
        if (applied.has(file)) continue
        now.push(file)
        for (const statement of statementsOf(fill(await readFile(SchemaDirectory + file, "utf8")))) await client.execute(statement)
        await client.execute(`INSERT INTO ${keyspace}.${Tables.migrations} (name, applied_at) VALUES (?, ?)`, [file, new Date()], { prepare: true })
      }
      return now
    },
    catch: (cause) => new CassandraError({ message: `schema migration of ${keyspace} failed`, cause })
  })
