// Rule resource files: a JSON or YAML document holding one rule or a list of rules. Decoding
// refuses a bad rule with every field path and reason; whether the fields it names exist is
// checked when a correlator compiles it (InvalidRule, with the path too).
import { Data, Effect, Schema } from "effect"
import { decodeResourceDocument } from "./ResourceDocument.ts"
import { Rule } from "./Rule.ts"

export class RuleFileInvalid extends Data.TaggedError("RuleFileInvalid")<{ readonly message: string }> {}

const RuleList = Schema.Union(Schema.Array(Rule), Rule.pipe(Schema.transform(Schema.Array(Schema.typeSchema(Rule)), { strict: true, decode: (rule) => [rule], encode: (rules) => rules[0]! })))

/** Decodes the rules in `text`; YAML when the file name ends in .yaml or .yml, else JSON. */
export const parseRuleFile = (text: string, fileName: string): Effect.Effect<ReadonlyArray<Rule>, RuleFileInvalid> =>
  decodeResourceDocument(RuleList, text, fileName).pipe(Effect.mapError((message) => new RuleFileInvalid({ message })))
