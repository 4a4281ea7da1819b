// Which Cassandra driver failures are worth retrying: the database or the path to it is
// briefly unavailable (a restarting node, timeouts, overload), not a statement it refuses.
import cassandra from "cassandra-driver"

const { errors } = cassandra

// Server error codes (native protocol spec §8): unavailable, overloaded, is bootstrapping,
// truncate error, write timeout, read timeout, read failure, write failure.
const TransientServerCodes = new Set([0x1000, 0x1001, 0x1002, 0x1003, 0x1100, 0x1200, 0x1300, 0x1500])

const SocketErrorCodes = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH"])

/** True when retrying the same statement later may succeed. */
export const isTransientCassandraError = (cause: unknown): boolean => {
  // All hosts down or unreachable (a stopped node): every host's own error is connection-level.
  if (cause instanceof errors.NoHostAvailableError || cause instanceof errors.OperationTimedOutError || cause instanceof errors.BusyConnectionError) return true
  if (cause instanceof errors.ResponseError) return TransientServerCodes.has(cause.code)
  if (
    cause instanceof errors.DriverInternalError ||
    cause instanceof errors.ArgumentError ||
    cause instanceof errors.NotSupportedError ||
    cause instanceof errors.AuthenticationError
  ) {
    return false
  }
  if (typeof cause !== "object" || cause === null) return false
  // The connection closed under a request in flight (the node stopped or crashed): the driver
  // marks it `isSocketError` and does not retry it itself, as the write is not idempotent to it.
  if ((cause as { isSocketError?: unknown }).isSocketError === true) return true
  // Socket-level failures surface as plain errors with a system code.
  const code = (cause as { code?: unknown }).code
  return typeof code === "string" && SocketErrorCodes.has(code)
}
