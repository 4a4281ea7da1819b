// Slows brute-force sign-in: failures are counted per login and per client address, and past a
// few of them every further attempt on that key is refused (429) for a time that doubles with
// each failure, up to a cap. Pure and clock-injected; the routes decide what a key is.
//
// The count lives in this gateway node's memory: with several gateway nodes an attacker spread
// over all of them gets each node's allowance. That is accepted (the delays still grow
// exponentially on every node, and scrypt makes each guess costly); a shared store would make
// every sign-in depend on one more remote write.

export interface SignInThrottleOptions {
  /** Failures on a key allowed before attempts on it are refused. */
  readonly freeFailures: number
  /** The first refusal's length; each further failure doubles it. */
  readonly baseDelayMillis: number
  /** No refusal lasts longer than this. */
  readonly maxDelayMillis: number
  /** A key with no failure for this long starts again from zero. */
  readonly forgetAfterMillis: number
  /** At most this many keys are tracked; the least recently failed are dropped first. */
  readonly maxKeys: number
  /** The clock, in epoch milliseconds. */
  readonly now: () => number
}

/** Defaults for the console: 5 free failures, then 1 s, 2 s, 4 s ... up to 15 minutes. */
export const DefaultSignInThrottleOptions: SignInThrottleOptions = {
  freeFailures: 5,
  baseDelayMillis: 1_000,
  maxDelayMillis: 15 * 60_000,
  forgetAfterMillis: 60 * 60_000,
  maxKeys: 10_000,
  now: () => Date.now()
}

/** Whether an attempt may go ahead, and if not for how long to wait. */
export type ThrottleVerdict = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMillis: number }

interface KeyState {
  failures: number
  lastFailureAt: number
  blockedUntil: number
}

/** Failure counts per key with exponentially growing refusals, bounded in memory. */
export class SignInThrottle {
  // Insertion order is recency order: a key is re-inserted on each failure, so the first key is
  // the least recently failed one and is the one dropped when the map is full.
  private readonly keys = new Map<string, KeyState>()
  private readonly options: SignInThrottleOptions

  constructor(options: Partial<SignInThrottleOptions> = {}) {
    this.options = { ...DefaultSignInThrottleOptions, ...options }
  }

  /** Whether an attempt concerning all of `keys` may go ahead now; refused when any of them is. */
  check(keys: ReadonlyArray<string>): ThrottleVerdict {
    const now = this.options.now()
    let waitMillis = 0
    for (const key of keys) {
      const state = this.current(key, now)
      if (state !== undefined && state.blockedUntil > now) waitMillis = Math.max(waitMillis, state.blockedUntil - now)
    }
    return waitMillis > 0 ? { allowed: false, retryAfterMillis: waitMillis } : { allowed: true }
  }

  /** Counts a failed attempt on each key; past the free failures, blocks the key for base * 2^(excess - 1), capped. */
  recordFailure(keys: ReadonlyArray<string>): void {
    const now = this.options.now()
    for (const key of keys) {
      const state = this.current(key, now) ?? { failures: 0, lastFailureAt: now, blockedUntil: 0 }
      state.failures += 1
      state.lastFailureAt = now
      const excess = state.failures - this.options.freeFailures
      // 2^excess overflows to Infinity long after the cap is reached; min keeps it finite.
      if (excess > 0) state.blockedUntil = now + Math.min(this.options.maxDelayMillis, this.options.baseDelayMillis * 2 ** Math.min(excess - 1, 52))
      this.keys.delete(key)
      this.keys.set(key, state)
    }
    this.bound(now)
  }

  /** Forgets the failures of each key (a successful sign-in). */
  recordSuccess(keys: ReadonlyArray<string>): void {
    for (const key of keys) this.keys.delete(key)
  }

  /** How many keys are tracked now (for tests and metrics). */
  get size(): number {
    return this.keys.size
  }

  private current(key: string, now: number): KeyState | undefined {
    const state = this.keys.get(key)
    if (state === undefined) return undefined
    if (this.forgotten(state, now)) {
      this.keys.delete(key)
      return undefined
    }
    return state
  }

  private forgotten(state: KeyState, now: number): boolean {
    return state.blockedUntil <= now && now - state.lastFailureAt >= this.options.forgetAfterMillis
  }

  private bound(now: number): void {
    if (this.keys.size <= this.options.maxKeys) return
    // Stale keys go first; they sit at the front, being the least recently failed.
    for (const [key, state] of this.keys) {
      if (this.keys.size <= this.options.maxKeys) return
      if (!this.forgotten(state, now)) break
      this.keys.delete(key)
    }
    for (const key of this.keys.keys()) {
      if (this.keys.size <= this.options.maxKeys) return
      this.keys.delete(key)
    }
  }
}
