// Removes a test's throwaway JetStream streams, leaving the shared cluster as it was found.
import { jetstreamManager } from "@nats-io/jetstream"
import { connect } from "@nats-io/transport-node"
import { inject } from "vitest"

export const deleteStreams = async (namePrefix: string): Promise<void> => {
  const connection = await connect({ servers: inject("natsServers") })
  try {
    const manager = await jetstreamManager(connection)
    for await (const name of manager.streams.names()) if (name.startsWith(namePrefix)) await manager.streams.delete(name)
  } finally {
    await connection.close()
  }
}
