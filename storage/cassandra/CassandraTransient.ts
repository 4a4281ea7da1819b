// Which Cassandra driver failures are worth retrying: the database or the path to it is
// briefly unavailable (a restarting node, timeouts, overload), not a statement it refuses.
import cassandra from "cassandra-driver"

const { errors } = cassandra

// Server error codes (native protocol spec §8): unavailable, overloaded, is bootstrapping,
// truncate error, write timeout, read timeout, read failure, write failure.
const TransientServerCodes = new Set([0x1000, 0x1001, 0x1002, 0x1003, 0x1100, 0x1200, 0x1300, 0x1500])

/** True when retrying the same statement later may succeed. */
export const isTransientCassandraError = (cause: unknown): boolean => {
  if (cause instanceof errors.NoHostAvailableError || cause instanceof errors.OperationTimedOutError || cause instanceof errors.BusyConnectionError) return true
  if (cause instanceof errors.ResponseError) return TransientServerCodes.has(cause.code)
  if (cause instanceof errors.DriverInternalError) return false
  // Socket-level failures surface as plain errors with a system code.
  const code = (cause as { code?: unknown } | null)?.code
  return typeof code === "string" && ["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT"].includes(code)
}
