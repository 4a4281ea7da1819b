// Removes a test's throwaway KV buckets, leaving the shared NATS cluster as it was found.
import { jetstreamManager } from "@nats-io/jetstream"
import { connect } from "@nats-io/transport-node"
import { inject } from "vitest"

// A bucket is stored as the stream `KV_<bucket>`.
const kvPrefix = "KV_"

/** Deletes the named buckets (their backing streams); a bucket that is already gone is fine. */
export const deleteBuckets = async (buckets: ReadonlyArray<string>): Promise<void> => {
  const connection = await connect({ servers: inject("natsServers") })
  try {
    const manager = await jetstreamManager(connection)
    for (const bucket of buckets) await manager.streams.delete(`${kvPrefix}${bucket}`).catch(() => false)
  } finally {
    await connection.close()
  }
}

/** Deletes every bucket whose name starts with `namePrefix`, for what a failed test left behind. */
export const deleteBucketsWithPrefix = async (namePrefix: string): Promise<void> => {
  const connection = await connect({ servers: inject("natsServers") })
  try {
    const manager = await jetstreamManager(connection)
    for await (const name of manager.streams.names()) if (name.startsWith(`${kvPrefix}${namePrefix}`)) await manager.streams.delete(name)
  } finally {
    await connection.close()
  }
}
