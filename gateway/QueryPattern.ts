// KUMA's list filters (`name`, `fqdn`, `ip`, `mac`, `login`) are case-insensitive regular
// expressions: one place turns a query parameter into one, or into a 400 naming the parameter.
// A caller's pattern runs on RE2 (linear time), never on the backtracking engine: `(a+)+$` from
// one tenant's user must not stall the gateway for everyone.
import { RE2JS } from "re2js"
import { ApiError } from "./ApiError.ts"

/** A RegExp for the stores' filters whose `test` runs the same pattern on RE2. */
class LinearPattern extends RegExp {
  readonly #linear: RE2JS

  constructor(source: string) {
    super(source, "i")
    this.#linear = RE2JS.compile(source, RE2JS.CASE_INSENSITIVE)
  }

  override test(text: string): boolean {
    return this.#linear.test(text)
  }
}

/** A case-insensitive pattern from a query parameter; undefined when absent; 400 when it does not compile (backreferences and lookarounds are not supported). */
export const patternOf = (parameter: string, source: string | undefined): RegExp | undefined => {
  if (source === undefined) return undefined
  try {
    return new LinearPattern(source)
  } catch (cause) {
    throw new ApiError(400, `invalid ${parameter} pattern`, (cause as Error).message)
  }
}
