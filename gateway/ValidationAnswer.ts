// KUMA's words for a request its schema refuses: "<field> required" for a missing field,
// "invalid <field>" for a bad top-level value, "invalid value" with the path for a nested one
// (e.g. `assets[0].fqdn`), "unknown field" for one the schema does not allow.
import type { ApiError } from "./ApiError.ts"

/** One failure as fastify's validator (ajv) reports it. */
export interface SchemaFailure {
  readonly keyword: string
  readonly instancePath: string
  readonly params: Readonly<Record<string, unknown>>
  readonly message?: string
}

type Answer = Pick<ApiError, "message" | "details">

// `/assets/0/fqdn` -> `assets[0].fqdn`, the way KUMA names a field inside a body.
const fieldPath = (instancePath: string, child?: string): string => {
  const segments = instancePath.split("/").filter((segment) => segment !== "")
  if (child !== undefined) segments.push(child)
  return segments.reduce((path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : path === "" ? segment : `${path}.${segment}`), "")
}

/** The `{message, details}` of the first failure; `where` is the part of the request (body, querystring, params). */
export const validationAnswer = (failures: ReadonlyArray<SchemaFailure>, where: string | undefined): Answer => {
  const failure = failures[0]
  if (failure === undefined) return { message: "invalid request", details: where ?? "" }
  switch (failure.keyword) {
    case "required": {
      const field = fieldPath(failure.instancePath, String(failure.params["missingProperty"] ?? ""))
      return { message: `${field} required`, details: "" }
    }
    case "additionalProperties":
      return { message: "unknown field", details: fieldPath(failure.instancePath, String(failure.params["additionalProperty"] ?? "")) }
    default: {
      const field = fieldPath(failure.instancePath)
      if (field === "") return { message: "invalid request", details: `${where ?? "request"} ${failure.message ?? ""}`.trim() }
      return field.includes(".") || field.includes("[") ? { message: "invalid value", details: field } : { message: `invalid ${field}`, details: failure.message ?? "" }
    }
  }
}
