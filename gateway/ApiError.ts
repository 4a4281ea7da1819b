// The one error shape the API answers with (KUMA's `{message, details}`), raised by routes and
// mapped by the error handler; nothing else, no stack or driver message, reaches a client.
export class ApiError extends Error {
  /** `extra` adds fields KUMA answers beside message and details (e.g. `conflicts` on a 409 import). */
  constructor(readonly statusCode: number, message: string, readonly details: string = "", readonly extra: Readonly<Record<string, unknown>> = {}) {
    super(message)
  }
}

/** JSON Schema of the error body, for route declarations. */
export const ErrorBody = {
  type: "object",
  properties: { message: { type: "string" }, details: { type: "string" } },
  required: ["message", "details"]
} as const
