// The correlation engine alone, on one core, with events already normalized in memory.
// 200 rules (100 simple, 80 standard thresholds on identical fields, 20 with unique fields or
// recovery) over a stream that touches 1,000,000 distinct group keys; then the same stream at
// 10 and 2,000 rules. Prints a table and, last, one JSON line with the figures.
// Run: npm run bench:engine (node --expose-gc, so heap figures are after a full collection).
import { Schema } from "effect"
import { randomBytes } from "node:crypto"
import { PerformanceObserver, type PerformanceEntry } from "node:perf_hooks"
import { CorrelatorEngine } from "../actors/CorrelatorEngine.ts"
import type { NormalizedEvent } from "../model/Event.ts"
import { CorrelatorSpec } from "../model/Rule.ts"

const GroupKeys = Number(process.env.BENCH_GROUP_KEYS ?? 1_000_000)
const Events = Number(process.env.BENCH_EVENTS ?? 4_000_000)
const Tenants = 10

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error("run with node --expose-gc (npm run bench:engine does)")

/** A deterministic pseudo-random sequence (xorshift32), so every run sees the same stream. */
const random = (seed: number) => {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13
    state >>>= 0
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    return state / 0x1_0000_0000
  }
}

/** Rule mix: 50% simple, 40% standard thresholds, 10% unique fields or recovery. */
const makeSpec = (ruleCount: number) => {
  const simple = Math.round(ruleCount * 0.5)
  const threshold = Math.round(ruleCount * 0.4)
  const special = ruleCount - simple - threshold
  const rules: Array<unknown> = []
  for (let i = 0; i < simple; i++) {
    rules.push({ kind: "simple", id: `s${i}`, name: `Simple ${i}`, selector: { filter: { and: [{ field: "DeviceEventClassID", op: "=", value: `S${i}` }, { field: "EventOutcome", op: "=", value: "failure" }] } } })
  }
  for (let i = 0; i < threshold; i++) {
    rules.push({
      kind: "standard", id: `t${i}`, name: `Threshold ${i}`,
      selectors: [{ filter: { and: [{ field: "DeviceEventClassID", op: "=", value: `T${i}` }, { field: "EventOutcome", op: "=", value: "failure" }] }, threshold: 10 }],
      identicalFields: i % 2 === 0 ? ["SourceAddress"] : ["TenantID", "SourceAddress"],
      windowSeconds: 3_600, priority: 7
    })
  }
  for (let i = 0; i < special; i++) {
    rules.push(
      i % 2 === 0
        ? { kind: "standard", id: `u${i}`, name: `Unique ${i}`, selectors: [{ filter: { field: "DeviceEventClassID", op: "=", value: `U${i}` }, threshold: 3 }], identicalFields: ["SourceAddress"], uniqueFields: ["DestinationUserName"], windowSeconds: 3_600 }
        : {
            kind: "standard", id: `r${i}`, name: `Recovery ${i}`,
            selectors: [{ filter: { and: [{ field: "DeviceEventClassID", op: "=", value: `R${i}` }, { field: "EventOutcome", op: "=", value: "failure" }] }, threshold: 3 }, { filter: { and: [{ field: "DeviceEventClassID", op: "=", value: `R${i}` }, { field: "EventOutcome", op: "=", value: "success" }] }, recovery: true }],
            identicalFields: ["SourceAddress"], windowSeconds: 3_600
          }
    )
  }
  return { spec: Schema.decodeUnknownSync(CorrelatorSpec)({ id: "bench", tenantId: "main", name: "Bench", sources: [{ tenantId: "t0" }], rules }), simple, threshold, special }
}

/**
 * The stream: every fourth event comes from a source address never seen before, until
 * `GroupKeys` addresses have appeared; the others repeat one of the 10,000 most recent
 * addresses, as attacks and scans come in bursts. Each address belongs to one threshold,
 * unique or recovery rule (so distinct addresses are distinct group keys); 2% of events hit
 * a simple rule instead and 3% match no rule. Stream time advances 1 ms per 10 events.
 * Batches are made on demand and only processing is timed, so the heap holds the engine's
 * state and one batch, as in a running correlator, not millions of queued events.
 */
const makeStream = (simple: number, threshold: number, special: number) => {
  const next = random(42)
  const users = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
  const start = Date.UTC(2026, 0, 1)
  const bound = threshold + special
  let fresh = 0
  let i = 0
  return (size: number): Array<NormalizedEvent> => {
    const events: Array<NormalizedEvent> = new Array(size)
    for (let b = 0; b < size; b++, i++) {
      const key = i % 4 === 0 && fresh < GroupKeys ? fresh++ : Math.max(0, fresh - 1 - Math.floor(next() * Math.min(fresh, 10_000)))
      const roll = next()
      let classId: string
      if (roll < 0.02) classId = `S${Math.floor(next() * simple)}`
      else if (roll < 0.05) classId = "noise"
      else {
        const rule = key % bound
        classId = rule < threshold ? `T${rule}` : (rule - threshold) % 2 === 0 ? `U${rule - threshold}` : `R${rule - threshold}`
      }
      events[b] = {
        ID: flatUuid(),
        Timestamp: start + Math.floor(i / 10),
        TenantID: `t${key % Tenants}` as NormalizedEvent["TenantID"],
        Type: 1,
        DeviceEventClassID: classId,
        EventOutcome: next() < 0.9 ? "failure" : "success",
        // Joined, not a template literal: a flat string, as JSON.parse would give, not a rope.
        SourceAddress: [10, (key >>> 16) & 255, (key >>> 8) & 255, key & 255].join("."),
        DestinationUserName: users[Math.floor(next() * users.length)]!,
        DestinationPort: 22
      }
    }
    return events
  }
}

/**
 * A v4 UUID as one flat string. crypto.randomUUID builds a rope of small strings, which V8
 * flattens on first read: the engine would then seem to free memory it never held.
 */
const flatUuid = (): string => {
  const hex = randomBytes(16).toString("hex")
  return [hex.slice(0, 8), hex.slice(8, 12), `4${hex.slice(13, 16)}`, `a${hex.slice(17, 20)}`, hex.slice(20, 32)].join("-")
}

/** Garbage collections seen so far (delivered asynchronously, so read after a turn of the event loop). */
const collections: Array<PerformanceEntry> = []
new PerformanceObserver((list) => collections.push(...list.getEntries())).observe({ entryTypes: ["gc"] })
const tick = () => new Promise((resolve) => setTimeout(resolve, 100))

/** Milliseconds of collection inside the timed windows (start, end pairs). */
const collectionMillis = (windows: ReadonlyArray<number>): number => {
  let total = 0
  let w = 0
  for (const entry of [...collections].sort((a, b) => a.startTime - b.startTime)) {
    while (w < windows.length && windows[w + 1]! <= entry.startTime) w += 2
    if (w >= windows.length) break
    const from = Math.max(entry.startTime, windows[w]!)
    const to = Math.min(entry.startTime + entry.duration, windows[w + 1]!)
    if (to > from) total += to - from
  }
  return total
}

interface Run {
  rules: number
  events: number
  seconds: number
  eventsPerSecond: number
  correlations: number
  liveGroups: number
  heapBytesPerLiveGroupKey: number
  /** Of which in typed arrays (records, ID pool, deadlines, key table). */
  typedBytesPerLiveGroupKey: number
  /** Share of the timed processing spent collecting garbage. */
  gcShare: number
}

const run = async (ruleCount: number): Promise<Run> => {
  const { spec, simple, threshold, special } = makeSpec(ruleCount)
  const nextBatch = makeStream(simple, threshold, special)
  let engine: CorrelatorEngine | undefined = new CorrelatorEngine(spec)
  const batch = 1_000
  let correlations = 0
  let busy = 0
  const windows: Array<number> = []
  collections.length = 0
  for (let done = 0; done < Events; done += batch) {
    const events = nextBatch(batch)
    const started = performance.now()
    correlations += engine!.processBatch(events).correlations.length
    const ended = performance.now()
    busy += ended - started
    windows.push(started, ended)
  }
  await tick()
  const gcShare = collectionMillis(windows) / busy
  const seconds = busy / 1000
  const liveGroups = engine!.liveGroups
  const columnBytes = engine!.columnBytes
  // What the engine retains: the heap with it, minus the heap once it is released. Typed-array
  // columns live outside the JS heap, so array buffers count too. Two collections each, so
  // weak and finalized objects are gone before reading.
  const heap = () => {
    gc()
    gc()
    const usage = process.memoryUsage()
    return usage.heapUsed + usage.arrayBuffers
  }
  const heapAfter = heap()
  engine = undefined
  const heapBefore = heap()
  return {
    rules: ruleCount,
    events: Events,
    seconds,
    eventsPerSecond: Math.round(Events / seconds),
    correlations,
    liveGroups,
    heapBytesPerLiveGroupKey: Math.round((heapAfter - heapBefore) / Math.max(1, liveGroups)),
    typedBytesPerLiveGroupKey: Math.round(columnBytes / Math.max(1, liveGroups)),
    gcShare
  }
}

const only = process.env.BENCH_ONLY_RULES
const results: Array<Run> = []
for (const rules of only !== undefined ? [Number(only), Number(only), Number(only)] : [200, 10, 2_000]) results.push(await run(rules))
for (const result of results) {
  console.log(
    `${String(result.rules).padStart(5)} rules: ${result.eventsPerSecond.toLocaleString("en-US").padStart(11)} events/s ` +
      `(${result.events.toLocaleString("en-US")} events in ${result.seconds.toFixed(2)} s), ${result.correlations.toLocaleString("en-US")} correlation events, ` +
      `${result.liveGroups.toLocaleString("en-US")} live group keys, ${result.heapBytesPerLiveGroupKey} heap bytes per live key (${result.typedBytesPerLiveGroupKey} in typed arrays), ${(100 * result.gcShare).toFixed(0)}% of the time in garbage collection`
  )
}
const [at200, at10, at2000] = results as [Run, Run, Run]
console.log(
  JSON.stringify({
    eventsPerSecond: at200.eventsPerSecond,
    heapBytesPerLiveGroupKey: at200.heapBytesPerLiveGroupKey,
    rules: at200.rules,
    groupKeys: GroupKeys,
    liveGroupKeys: at200.liveGroups,
    events: at200.events,
    eventsPerSecondAt10Rules: at10.eventsPerSecond,
    eventsPerSecondAt2000Rules: at2000.eventsPerSecond,
    ratio2000To200: Number((at2000.eventsPerSecond / at200.eventsPerSecond).toFixed(3)),
    node: process.version
  })
)
