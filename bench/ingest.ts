// Ingest on one core: 500-byte events over TCP on loopback into one collector, normalized and
// handed to the bus port in batches (what the single node's embedded bus takes as values); a
// second figure per format adds the events topic's wire encoding, which the JetStream adapter
// does on the same core before sending. The load comes from a child process, so the collector's
// process has its core to itself. Each figure is the median of three runs after a warm-up.
// Prints a line per format and mode and, last, one JSON object.
// Run: npm run bench:ingest [events per format]
import { Effect, Schema } from "effect"
import { fork } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as Collector from "../collector/Collector.ts"
import * as Topics from "../cluster/Topics.ts"
import { CollectorSpec } from "../model/Collector.ts"
import type { NormalizedEvent } from "../model/Event.ts"
import type { CollectorId } from "../model/Ids.ts"

const Events = Number(process.argv[2] ?? 300_000)
/** Timed runs per format and mode; the median is reported, after one untimed warm-up run per format. */
const Runs = 3
const AllFormats = ["json", "cef", "syslog"] as const
const Formats = AllFormats.filter((format) => (process.env.BENCH_FORMATS ?? AllFormats.join(",")).split(",").includes(format))
type Format = (typeof AllFormats)[number]

const topics = Topics.make("bench")

/** Runs one collector for `format`, has the child send `Events` records, and times them from first byte to last publish. */
const measure = (format: Format, encode: boolean, events = Events) =>
  Effect.scoped(
    Effect.gen(function* () {
      const spec = Schema.decodeUnknownSync(CollectorSpec)({
        id: `ingest-${format}`,
        tenantId: "t2",
        name: `ingest ${format}`,
        connector: { kind: "tcp", host: "127.0.0.1", port: 0 },
        normalizer: format
      })
      let published = 0
      let wireBytes = 0
      let done: () => void = () => {}
      const finished = new Promise<void>((resolve) => (done = resolve))
      const collectorId = spec.id as CollectorId
      const running = yield* Collector.run(spec, (batch: ReadonlyArray<NormalizedEvent>) =>
        Effect.sync(() => {
          if (encode) for (const event of batch) wireBytes += topics.events.encode({ collectorId, event }).length
          published += batch.length
          if (published >= events) done()
        })
      )
      const child = fork(fileURLToPath(new URL("./ingestLoad.ts", import.meta.url)), [format, String(events), String(running.port)], {
        execArgv: ["--import", "tsx"],
        stdio: ["ignore", "inherit", "inherit", "ipc"]
      })
      // The child builds its records first and says when it starts sending.
      const started = yield* Effect.promise(() => new Promise<number>((resolve) => child.once("message", () => resolve(performance.now()))))
      yield* Effect.promise(() => finished)
      const seconds = (performance.now() - started) / 1000
      child.kill()
      const stats = running.stats
      if (stats.parseErrors > 0) throw new Error(`${format}: ${stats.parseErrors} records refused, e.g. ${stats.samples[0]?.reason}`)
      return { format, encode, eventsPerSecond: Math.round(events / seconds), seconds, wireBytesPerEvent: Math.round(wireBytes / published) }
    })
  )

const median = <A extends { eventsPerSecond: number }>(runs: ReadonlyArray<A>): A => [...runs].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond)[Math.floor(runs.length / 2)]!
const results = await Effect.runPromise(
  Effect.forEach(Formats.flatMap((format) => [[format, false] as const, [format, true] as const]), ([format, encode]) =>
    Effect.gen(function* () {
      // The JIT compiles the path during the warm-up, so the timed runs see the steady state.
      if (!encode) yield* measure(format, false, 50_000)
      const runs = yield* Effect.forEach(Array.from({ length: Runs }), () => measure(format, encode))
      const result = median(runs)
      const what = result.encode ? `with wire encoding, ${result.wireBytesPerEvent} bytes per event` : "handed to the bus port"
      console.log(
        `${result.format.padEnd(6)} ${result.eventsPerSecond.toLocaleString("en-US").padStart(9)} events/s median of ${runs.map((run) => run.eventsPerSecond.toLocaleString("en-US")).join(" / ")} (${Events.toLocaleString("en-US")} events of 500 bytes per run; ${what})`
      )
      return result
    })
  )
)
const byFormat = (encode: boolean) => Object.fromEntries(results.filter((result) => result.encode === encode).map((result) => [result.format, result.eventsPerSecond]))
console.log(JSON.stringify({ eventsPerSecond: byFormat(false), eventsPerSecondWithWireEncoding: byFormat(true), events: Events, recordBytes: 500, node: process.version }))
