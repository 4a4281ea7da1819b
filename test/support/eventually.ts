// Polls a condition with real time until it holds or the deadline passes, for tests that wait
// on background consumers. Fails with the last observed value, never passes silently.
import { Effect, Schedule } from "effect"

export const eventually = <A, E, R>(observe: Effect.Effect<A, E, R>, holds: (value: A) => boolean, timeoutMillis = 20_000) =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeoutMillis
    let last: A = yield* observe
    while (!holds(last)) {
      if (Date.now() > deadline) return yield* Effect.die(new Error(`condition did not hold within ${timeoutMillis} ms; last value: ${JSON.stringify(last)?.slice(0, 2_000)}`))
      yield* Effect.sleep("100 millis")
      last = yield* observe
    }
    return last
  })

/** Retries a flaky infrastructure call a few times (not for assertions). */
export const retrying = Schedule.spaced("200 millis").pipe(Schedule.compose(Schedule.recurs(10)))

/** Waits until `check` (assertions) stops throwing; on timeout the last failure's message is the error. */
export const until = (check: () => void, timeoutMillis = 20_000) =>
  eventually(
    Effect.sync(() => {
      try {
        check()
        return "holds"
      } catch (error) {
        return (error as Error).message
      }
    }),
    (outcome) => outcome === "holds",
    timeoutMillis
  )

