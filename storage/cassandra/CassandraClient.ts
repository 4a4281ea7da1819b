// The Cassandra session of a process: connected for the scope's lifetime, bound to the keyspace
// after the schema migrations have run.
import cassandra from "cassandra-driver"
import { Context, Effect, Layer } from "effect"
import { CassandraError } from "./CassandraError.ts"
import { migrate } from "./CassandraMigrations.ts"

export interface CassandraConfig {
  /** host:port pairs. */
  readonly contactPoints: ReadonlyArray<string>
  readonly localDataCenter: string
  readonly keyspace: string
  readonly replicationFactor: number
}

export interface CassandraSession {
  readonly client: cassandra.Client
  readonly keyspace: string
}

export class CassandraClient extends Context.Tag("corvus/CassandraClient")<CassandraClient, CassandraSession>() {}

const connectClient = (config: CassandraConfig, keyspace?: string) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const client = new cassandra.Client({
          contactPoints: [...config.contactPoints],
          localDataCenter: config.localDataCenter,
          ...(keyspace !== undefined ? { keyspace } : {}),
          queryOptions: { prepare: true, consistency: cassandra.types.consistencies.localQuorum },
          // The default schedule doubles up to 10 minutes: after a longer outage storage would stay
          // stalled for minutes once Cassandra is back. Retry a node at most every 5 seconds.
          policies: { reconnection: new cassandra.policies.reconnection.ExponentialReconnectionPolicy(500, 5_000, false) },
          socketOptions: { connectTimeout: 5_000, readTimeout: 12_000 }
        })
        await client.connect()
        return client
      },
      catch: (cause) => new CassandraError({ message: `cannot connect to Cassandra at ${config.contactPoints.join(",")}`, cause })
    }),
    (client) => Effect.promise(() => client.shutdown().catch(() => undefined))
  )

/** Applies the migrations of ops/schema/cassandra not yet applied to the keyspace; answers their file names. */
export const applyMigrations = (config: CassandraConfig): Effect.Effect<Array<string>, CassandraError> =>
  Effect.scoped(Effect.flatMap(connectClient(config), (admin) => migrate(admin, config.keyspace, config.replicationFactor)))

/** Applies the migrations in ops/schema/cassandra, then connects bound to the keyspace. */
export const layer = (config: CassandraConfig): Layer.Layer<CassandraClient, CassandraError> =>
  Layer.scoped(
    CassandraClient,
    Effect.gen(function* () {
      yield* applyMigrations(config)
      const client = yield* connectClient(config, config.keyspace)
      return { client, keyspace: config.keyspace }
    })
  )
