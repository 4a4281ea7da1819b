// NATS subject matching (`*` one token, `>` the rest), for the embedded bus's filters.

/** True when `subject` matches the `filter` pattern. */
export const subjectMatches = (filter: string, subject: string): boolean => {
  const patternTokens = filter.split(".")
  const subjectTokens = subject.split(".")
  for (let i = 0; i < patternTokens.length; i++) {
    const token = patternTokens[i]!
    if (token === ">") return subjectTokens.length > i
    if (i >= subjectTokens.length) return false
    if (token !== "*" && token !== subjectTokens[i]) return false
  }
  return patternTokens.length === subjectTokens.length
}
