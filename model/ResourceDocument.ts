// Resource documents (deployments, rules): JSON, or YAML when the file name says so, decoded by
// a schema that reports every field path and reason at once.
import { Effect, ParseResult, Schema } from "effect"
import { parse as parseYaml } from "yaml"

/** Decodes `text` with `schema`; a failure is one message naming the file, the paths and reasons. */
export const decodeResourceDocument = <A, I>(schema: Schema.Schema<A, I>, text: string, fileName: string): Effect.Effect<A, string> =>
  Effect.try({
    try: () => (/\.ya?ml$/i.test(fileName) ? parseYaml(text) : JSON.parse(text)) as unknown,
    catch: (cause) => `${fileName}: ${(cause as Error).message}`
  }).pipe(
    Effect.flatMap((value) =>
      Schema.decodeUnknown(schema, { errors: "all" })(value).pipe(Effect.mapError((error) => `${fileName}:\n${ParseResult.TreeFormatter.formatErrorSync(error)}`))
    )
  )
