// A caller's list filter is a case-insensitive pattern that runs in linear time: a pattern that
// would backtrack for ages on JavaScript's engine answers at once, and one RE2 cannot run is a 400.
import { describe, expect, it } from "vitest"
import { ApiError } from "./ApiError.ts"
import { patternOf } from "./QueryPattern.ts"

describe("patternOf", () => {
  it("matches case-insensitively anywhere in the text, as KUMA's filters do", () => {
    const pattern = patternOf("name", "^web-0[12]$")!
    expect(["WEB-01", "web-02", "web-03", "a web-01"].map((text) => pattern.test(text))).toEqual([true, true, false, false])
    expect(patternOf("name", undefined)).toBeUndefined()
  })

  it("a catastrophic-backtracking pattern over a long text answers (false) instead of stalling the server", () => {
    const hostile = patternOf("name", "(a+)+$")!
    expect(hostile.test(`${"a".repeat(50_000)}!`)).toBe(false)
    expect(hostile.test("xaaa")).toBe(true)
    expect(patternOf("name", "^(a|aa)+$")!.test(`${"a".repeat(50_000)}!`)).toBe(false)
    expect(patternOf("fqdn", "^(x+x+)+y$")!.test("x".repeat(50_000))).toBe(false)
  })

  it("a pattern that does not compile, or needs backtracking (backreferences, lookarounds), is a 400 naming the parameter", () => {
    for (const [parameter, source] of [
      ["name", "("],
      ["fqdn", "(a)\\1"],
      ["mac", "(?=x)x"]
    ] as const) {
      let thrown: unknown
      try {
        patternOf(parameter, source)
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(ApiError)
      expect([(thrown as ApiError).statusCode, (thrown as ApiError).message]).toEqual([400, `invalid ${parameter} pattern`])
    }
  })
})
