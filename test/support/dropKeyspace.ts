// Drops a test's keyspace. A schema change waits for the node to apply it, which on a loaded
// 2-core machine can take longer than the driver's default 12 s: the wait is long, and a drop
// that still fails leaves a keyspace behind (reported), never a failed test.
import cassandra from "cassandra-driver"

export const dropKeyspace = async (contactPoints: ReadonlyArray<string>, keyspace: string): Promise<void> => {
  const client = new cassandra.Client({ contactPoints: [...contactPoints], localDataCenter: "datacenter1" })
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], { readTimeout: 120_000 })
  } catch (cause) {
    console.warn(`keyspace ${keyspace} was not dropped: ${String(cause)}`)
  } finally {
    await client.shutdown()
  }
}
