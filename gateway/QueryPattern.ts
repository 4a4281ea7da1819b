// KUMA's list filters (`name`, `fqdn`, `ip`, `mac`, `login`) are case-insensitive regular
// expressions: one place turns a query parameter into one, or into a 400 naming the parameter.
import { ApiError } from "./ApiError.ts"

/** A case-insensitive pattern from a query parameter; undefined when absent; 400 when it does not compile. */
export const patternOf = (parameter: string, source: string | undefined): RegExp | undefined => {
  if (source === undefined) return undefined
  try {
    return new RegExp(source, "i")
  } catch (cause) {
    throw new ApiError(400, `invalid ${parameter} pattern`, (cause as Error).message)
  }
}
