// Cassandra infrastructure failure: connection, schema or statement; carries the driver's cause.
import { Data } from "effect"

export class CassandraError extends Data.TaggedError("CassandraError")<{ readonly message: string; readonly cause?: unknown }> {}
