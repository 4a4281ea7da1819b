// Which collector address the agent uses next. As in KUMA: the first address at start; on a
// failure or timeout the next one in order, wrapping around; a working address is kept (no
// periodic return to the first, which would move the stream back and forth between collectors).
// When every address failed in a row the agent pauses before the next round, longer each time.

export interface RetryDelays {
  readonly baseMillis: number
  readonly maxMillis: number
}

export const DefaultRetryDelays: RetryDelays = { baseMillis: 1_000, maxMillis: 30_000 }

export class FailoverCursor {
  private index = 0
  private failuresInRow = 0

  constructor(
    readonly count: number,
    private readonly delays: RetryDelays = DefaultRetryDelays
  ) {
    if (count < 1) throw new Error("a failover list needs at least one address")
  }

  /** The index of the address to use now. */
  get current(): number {
    return this.index
  }

  /** The current address worked (connected): the failure count starts over. */
  connected(): void {
    this.failuresInRow = 0
  }

  /**
   * The current address failed, timed out or went away: move to the next in order. Returns how
   * long to wait before trying it: nothing inside a round, a doubling pause after a full round.
   */
  failed(): number {
    this.failuresInRow++
    this.index = (this.index + 1) % this.count
    if (this.failuresInRow % this.count !== 0) return 0
    const rounds = this.failuresInRow / this.count
    return Math.min(this.delays.maxMillis, this.delays.baseMillis * 2 ** Math.min(rounds - 1, 20))
  }
}
