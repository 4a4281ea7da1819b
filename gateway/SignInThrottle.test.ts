// The sign-in throttle on a hand-moved clock: free failures, then doubling refusals up to a cap,
// reset by a success, forgotten after a quiet period, and a bounded number of keys.
import { describe, expect, it } from "vitest"
import { SignInThrottle } from "./SignInThrottle.ts"

const throttleAt = (start = 1_000_000) => {
  let now = start
  const throttle = new SignInThrottle({ freeFailures: 3, baseDelayMillis: 1_000, maxDelayMillis: 60_000, forgetAfterMillis: 3_600_000, maxKeys: 100, now: () => now })
  return { throttle, advance: (millis: number) => (now += millis) }
}

describe("SignInThrottle", () => {
  it("allows the free failures, then refuses for a time that doubles with each further failure", () => {
    const { throttle, advance } = throttleAt()
    const keys = ["login:alice"]
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(throttle.check(keys)).toEqual({ allowed: true })
      throttle.recordFailure(keys)
    }
    expect(throttle.check(keys)).toEqual({ allowed: true })
    throttle.recordFailure(keys)
    expect(throttle.check(keys)).toEqual({ allowed: false, retryAfterMillis: 1_000 })
    advance(999)
    expect(throttle.check(keys)).toEqual({ allowed: false, retryAfterMillis: 1 })
    advance(1)
    expect(throttle.check(keys)).toEqual({ allowed: true })
    throttle.recordFailure(keys)
    expect(throttle.check(keys)).toEqual({ allowed: false, retryAfterMillis: 2_000 })
    advance(2_000)
    throttle.recordFailure(keys)
    expect(throttle.check(keys)).toEqual({ allowed: false, retryAfterMillis: 4_000 })
  })

  it("never refuses for longer than the cap, however many failures", () => {
    const { throttle, advance } = throttleAt()
    for (let attempt = 0; attempt < 2_000; attempt++) {
      throttle.recordFailure(["address:10.0.0.1"])
      advance(1)
    }
    const verdict = throttle.check(["address:10.0.0.1"])
    expect(verdict.allowed).toBe(false)
    if (!verdict.allowed) {
      expect(verdict.retryAfterMillis).toBeLessThanOrEqual(60_000)
      expect(verdict.retryAfterMillis).toBeGreaterThan(59_000)
    }
  })

  it("a success clears the failures of its keys and leaves other keys counting", () => {
    const { throttle } = throttleAt()
    for (let attempt = 0; attempt < 4; attempt++) throttle.recordFailure(["login:alice", "login:bob"])
    expect(throttle.check(["login:alice"]).allowed).toBe(false)
    throttle.recordSuccess(["login:alice"])
    expect(throttle.check(["login:alice"])).toEqual({ allowed: true })
    // Four more failures are needed before alice is refused again: the count restarted from zero.
    for (let attempt = 0; attempt < 3; attempt++) throttle.recordFailure(["login:alice"])
    expect(throttle.check(["login:alice"])).toEqual({ allowed: true })
    expect(throttle.check(["login:bob"]).allowed).toBe(false)
  })

  it("an attempt is refused when any one of its keys is refused, for the longest wait among them", () => {
    const { throttle } = throttleAt()
    for (let attempt = 0; attempt < 4; attempt++) throttle.recordFailure(["address:10.0.0.1"])
    for (let attempt = 0; attempt < 5; attempt++) throttle.recordFailure(["login:carol"])
    expect(throttle.check(["login:dave", "address:10.0.0.2"])).toEqual({ allowed: true })
    expect(throttle.check(["login:dave", "address:10.0.0.1"])).toEqual({ allowed: false, retryAfterMillis: 1_000 })
    expect(throttle.check(["login:carol", "address:10.0.0.1"])).toEqual({ allowed: false, retryAfterMillis: 2_000 })
  })

  it("failures are forgotten after a quiet period, so an occasional typo never adds up", () => {
    const { throttle, advance } = throttleAt()
    for (let attempt = 0; attempt < 3; attempt++) throttle.recordFailure(["login:erin"])
    advance(3_600_000)
    throttle.recordFailure(["login:erin"])
    expect(throttle.check(["login:erin"])).toEqual({ allowed: true })
  })

  it("tracks at most maxKeys keys, dropping the least recently failed first", () => {
    const { throttle } = throttleAt()
    for (let attempt = 0; attempt < 4; attempt++) throttle.recordFailure(["login:target"])
    expect(throttle.check(["login:target"]).allowed).toBe(false)
    for (let index = 0; index < 10_000; index++) {
      throttle.recordFailure([`login:sprayed-${index}`])
      expect(throttle.size).toBeLessThanOrEqual(100)
    }
    expect(throttle.size).toBe(100)
    // The oldest key was dropped; the most recent ones still count their failures.
    expect(throttle.check(["login:target"])).toEqual({ allowed: true })
    for (let attempt = 0; attempt < 3; attempt++) throttle.recordFailure(["login:sprayed-9999"])
    expect(throttle.check(["login:sprayed-9999"]).allowed).toBe(false)
  })
})
