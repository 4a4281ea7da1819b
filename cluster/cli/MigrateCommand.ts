// `corvus migrate`: applies the Cassandra schema (ops/schema/cassandra) to a keyspace, once per
// file, as a node does at start; for operators who prepare the database before the nodes.
import { Console, Effect } from "effect"
import { parseArgs } from "node:util"
import { applyMigrations } from "../../storage/cassandra/CassandraClient.ts"

export const help = `Usage: corvus migrate [options]

Applies the Cassandra schema migrations not yet applied to the keyspace (creating it if needed).

Options:
  --contact-points <host:port,...>  Cassandra nodes (default 127.0.0.1:19042)
  --datacenter <name>               local data center (default datacenter1)
  --keyspace <name>                 keyspace (default corvus)
  --replication <n>                 replication factor when the keyspace is created (default 1, as
                                    CORVUS_CASSANDRA_RF; use 3 on a production cluster)
  --help, -h                        this text`

const flags = {
  "contact-points": { type: "string", default: "127.0.0.1:19042" },
  datacenter: { type: "string", default: "datacenter1" },
  keyspace: { type: "string", default: "corvus" },
  replication: { type: "string", default: "1" },
  help: { type: "boolean", short: "h", default: false }
} as const

/** Runs the command; resolves to the exit status (0 applied or up to date, 1 failed, 2 usage). */
export const main = (args: ReadonlyArray<string>): Effect.Effect<number> =>
  Effect.gen(function* () {
    const parsed = yield* Effect.try(() => parseArgs({ args: [...args], options: flags, strict: true, allowPositionals: false }).values).pipe(Effect.either)
    if (parsed._tag === "Left") {
      yield* Console.error(`corvus migrate: ${(parsed.left.error as Error).message}\n(corvus migrate --help lists the options)`)
      return 2
    }
    const values = parsed.right
    if (values.help) {
      yield* Console.log(help)
      return 0
    }
    const replication = Number(values.replication)
    if (!Number.isInteger(replication) || replication < 1) {
      yield* Console.error(`corvus migrate: --replication must be a whole number of at least 1, not '${values.replication}'`)
      return 2
    }
    const config = {
      contactPoints: values["contact-points"].split(",").filter((point) => point.length > 0),
      localDataCenter: values.datacenter,
      keyspace: values.keyspace,
      replicationFactor: replication
    }
    return yield* applyMigrations(config).pipe(
      Effect.flatMap((applied) =>
        Console.log(
          applied.length === 0 ? `keyspace ${config.keyspace}: schema up to date` : `keyspace ${config.keyspace}: applied ${applied.join(", ")}`
        ).pipe(Effect.as(0))
      ),
      // The cause's first line names what failed (keyspace, connection) without a stack.
      Effect.catchAll((error) => Console.error(`corvus migrate: ${error.message}: ${String((error.cause as Error | undefined)?.message ?? "")}`).pipe(Effect.as(1)))
    )
  })
