// Events per second from a node's monotonic counters: a sampler takes the counters once a second
// (off the per-event path) into a short window, and the rates are the counters' growth across
// that window divided by its span.
import type { NodeCounters, NodeRates } from "./NodeStatus.ts";

interface Sample {
  readonly atMs: number;
  readonly counters: NodeCounters;
}

const noRates: NodeRates = { eventsReceivedPerSecond: 0, eventsStoredPerSecond: 0, correlationEventsPerSecond: 0, windowMs: 0 };

/** A window of counter samples; record one a second, read the rates any time. */
export class CounterRates {
  private readonly samples: Array<Sample> = [];

  /** `windowMs`: how far back the oldest sample the rates use may lie. */
  constructor(readonly windowMs: number = 10_000) {}

  /** Adds the counters as they were at `atMs` (any clock that does not go back); drops samples older than the window. */
  record(atMs: number, counters: NodeCounters): void {
    this.samples.push({ atMs, counters: { ...counters } });
    while (this.samples.length > 2 && atMs - this.samples[0]!.atMs > this.windowMs) this.samples.shift();
  }

  /** Per-second growth between the oldest and the newest sample; zeros before two samples. */
  rates(): NodeRates {
    const oldest = this.samples[0];
    const newest = this.samples[this.samples.length - 1];
    if (oldest === undefined || newest === undefined || newest.atMs <= oldest.atMs) return noRates;
    const spanMs = newest.atMs - oldest.atMs;
    const perSecond = (pick: (counters: NodeCounters) => number) => (Math.max(0, pick(newest.counters) - pick(oldest.counters)) * 1_000) / spanMs;
    return {
      eventsReceivedPerSecond: perSecond((counters) => counters.eventsReceived),
      eventsStoredPerSecond: perSecond((counters) => counters.eventsStored),
      correlationEventsPerSecond: perSecond((counters) => counters.correlationEvents),
      windowMs: Math.round(spanMs),
    };
  }
}
