// Resource documents (deployments, rules): JSON, or YAML when the file name says so, decoded by
// a schema that reports every field path and reason at once.
import { Effect, ParseResult, Schema } from "effect"
import { parse as parseYaml } from "yaml"

/** `rules[0].selectors[1].threshold` from a schema issue's path. */
const pathText = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>((text, key) => (typeof key === "number" ? `${text}[${key}]` : text === "" ? String(key) : `${text}.${String(key)}`), "")

/** One line per problem, `path: reason`, the way an operator reads a refused document. */
const problemsOf = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => `${issue.path.length === 0 ? "(document)" : pathText(issue.path)}: ${issue.message}`)
    .join("\n")

/** Decodes `text` with `schema`; a failure is one message naming the file, the paths and reasons. */
export const decodeResourceDocument = <A, I>(schema: Schema.Schema<A, I>, text: string, fileName: string): Effect.Effect<A, string> =>
  Effect.try({
    try: () => (/\.ya?ml$/i.test(fileName) ? parseYaml(text) : JSON.parse(text)) as unknown,
    catch: (cause) => `${fileName}: ${(cause as Error).message}`
  }).pipe(
    Effect.flatMap((value) =>
      Schema.decodeUnknown(schema, { errors: "all" })(value).pipe(Effect.mapError((error) => `${fileName}:\n${problemsOf(error)}`))
    )
  )
