// The regexp normalizer: an RE2 pattern (linear time in the record's length, whatever the
// pattern: no backtracking blow-up) searched in the record; its named groups become the fields.
import { namedGroupsOf, type RegexpSpec } from "../../model/Normalizer.ts"
import { childPath, InvalidNormalizer } from "./InvalidNormalizer.ts"
import { Refusal } from "./Refusal.ts"
import { contentEnd, FlatRecord, type RecordParser } from "./SourceRecord.ts"

/** The parser of a regexp spec; the pattern and its one matcher are compiled here, once. */
export const compileRegexpParser = (spec: RegexpSpec, path: string): RecordParser => {
  const compiled = namedGroupsOf(spec.pattern)
  if (typeof compiled === "string") throw new InvalidNormalizer(childPath(path, "pattern"), compiled)
  const names = compiled.groups.map(([name]) => name)
  const indexes = compiled.groups.map(([, index]) => index)
  const matcher = compiled.regex.matcher("")
  const record = new FlatRecord()
  return (text) => {
    record.clear()
    const end = contentEnd(text)
    matcher.resetMatcherInput(end === text.length ? text : text.slice(0, end))
    try {
      if (!matcher.find()) throw new Refusal("does not match the pattern")
      for (let i = 0; i < names.length; i++) {
        // A group that took no part in the match is absent, not empty.
        const value = matcher.group(indexes[i]!)
        if (value !== null) record.add(names[i]!, value)
      }
      return record
    } finally {
      // The matcher outlives the record; it must not keep a large one alive.
      matcher.resetMatcherInput("")
    }
  }
}
