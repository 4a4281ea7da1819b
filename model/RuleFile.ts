// Rule resource files: a JSON or YAML document holding one rule or a list of rules. Decoding
// refuses a bad rule with every field path and reason; whether the fields it names exist is
// checked when a correlator compiles it (InvalidRule, with the path too).
import { Data, Effect, ParseResult, Schema } from "effect"
import { parse as parseYaml } from "yaml"
import { Rule } from "./Rule.ts"

export class RuleFileInvalid extends Data.TaggedError("RuleFileInvalid")<{ readonly message: string }> {}

const RuleList = Schema.Union(Schema.Array(Rule), Rule.pipe(Schema.transform(Schema.Array(Schema.typeSchema(Rule)), { strict: true, decode: (rule) => [rule], encode: (rules) => rules[0]! })))

/** Decodes the rules in `text`; YAML when the file name ends in .yaml or .yml, else JSON. */
export const parseRuleFile = (text: string, fileName: string): Effect.Effect<ReadonlyArray<Rule>, RuleFileInvalid> =>
  Effect.try({
    try: () => (/\.ya?ml$/i.test(fileName) ? parseYaml(text) : JSON.parse(text)) as unknown,
    catch: (cause) => new RuleFileInvalid({ message: `${fileName}: ${(cause as Error).message}` })
  }).pipe(
    Effect.flatMap((value) =>
      Schema.decodeUnknown(RuleList, { errors: "all" })(value).pipe(
        Effect.mapError((error) => new RuleFileInvalid({ message: `${fileName}:\n${ParseResult.TreeFormatter.formatErrorSync(error)}` }))
      )
    )
  )
