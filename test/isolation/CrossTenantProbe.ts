// What the cross-tenant suite compares: an answer with the asked id masked, the secrets of another
// tenant found anywhere in a body, and which OpenAPI operation a request reached.

/** One operation of the served OpenAPI document, as "METHOD /api/v1/path/{param}". */
export type OperationKey = string

interface OpenApiDocument {
  readonly paths: Record<string, Record<string, unknown>>
}

const Methods = new Set(["get", "post", "put", "patch", "delete"])

/** Every operation the document describes. */
export const operationsOf = (document: OpenApiDocument): Array<OperationKey> =>
  Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.keys(operations)
      .filter((method) => Methods.has(method))
      .map((method) => `${method.toUpperCase()} ${path}`)
  )

/** Matches a request (method and URL, query ignored) to the document's operation, or undefined. */
export const operationMatcher = (operations: ReadonlyArray<OperationKey>) => {
  const patterns = operations.map((operation) => {
    const [method, path] = operation.split(" ") as [string, string]
    const source = path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")
    return { operation, method, pattern: new RegExp(`^${source}$`) }
  })
  return (method: string, url: string): OperationKey | undefined => {
    const path = url.split("?")[0]!
    // A literal path wins over a templated one (users/whoami over users/{id}).
    const candidates = patterns.filter((candidate) => candidate.method === method.toUpperCase() && candidate.pattern.test(path))
    return (candidates.find((candidate) => !candidate.operation.includes("{")) ?? candidates[0])?.operation
  }
}

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** The text with every occurrence of `value` (ignoring case) replaced by a placeholder, so two answers naming different ids compare. */
export const maskValue = (text: string, value: string): string => (value === "" ? text : text.replace(new RegExp(escaped(value), "gi"), "<ASKED>"))

/** The text with every UUID replaced, for answers that carry ids made by the request itself. */
export const maskUuids = (text: string): string => text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<UUID>")

/** The secrets of the other tenant found in `text`, ignoring case. */
export const secretsIn = (text: string, secrets: ReadonlyArray<string>): Array<string> => {
  const lower = text.toLowerCase()
  return secrets.filter((secret) => secret !== "" && lower.includes(secret.toLowerCase()))
}
