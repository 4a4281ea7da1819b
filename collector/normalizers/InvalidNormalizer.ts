// A normalizer spec that cannot run, refused when it is compiled (a decoded spec passed the same
// checks, so this mostly guards specs built in code).

/** Raised at compile time; `path` locates the fault in the setup (`default.mapping[2].target`). */
export class InvalidNormalizer extends Error {
  readonly _tag = "InvalidNormalizer"
  constructor(readonly path: string, readonly reason: string) {
    super(`${path}: ${reason}`)
  }
}

/** Joins a path and a step as the error paths print them. */
export const childPath = (path: string, step: string | number): string =>
  typeof step === "number" ? `${path}[${step}]` : path === "" ? step : `${path}.${step}`
