// Collector infrastructure failure (cannot listen, cannot publish); carries the cause.
import { Data } from "effect"

export class CollectorError extends Data.TaggedError("CollectorError")<{ readonly message: string; readonly cause?: unknown }> {}
