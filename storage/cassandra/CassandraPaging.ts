// Reads every row of a query page by page, so large partitions never arrive in one response.
import type cassandra from "cassandra-driver"

/** All rows of `query`, fetched `fetchSize` at a time. */
export const readAllRows = async (
  client: cassandra.Client,
  query: string,
  params: ReadonlyArray<unknown>,
  fetchSize = 1_000
): Promise<Array<cassandra.types.Row>> => {
  const rows: Array<cassandra.types.Row> = []
  let pageState: string | undefined
  do {
    const result = await client.execute(query, [...params], { prepare: true, fetchSize, ...(pageState !== undefined ? { pageState } : {}) })
    rows.push(...result.rows)
    pageState = result.pageState ?? undefined
  } while (pageState !== undefined)
  return rows
}
