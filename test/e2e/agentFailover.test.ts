// The real `corvus agent` process (through the npm bin shim, detached, logging to a file) follows
// a log file of JSON lines and ships it to two collectors on loopback; the first is stopped
// mid-stream. Every event must arrive, the ones the first collector did not get at the second, in order.
// - Two real collectors (tcp connector, json normalizer); the first stops by closing its scope,
//   which drains (no new connections, FIN on each, reading on until the agent's FIN) and then
//   publishes: nothing may be lost and nothing may arrive twice.
// - A collector that dies abruptly over unread data (a reset): nothing may be lost; the records
//   the agent wrote within its resend window arrive again at the second collector (at-least-once),
//   and the test reports how many.
import { type ChildProcess, spawn } from "node:child_process"
import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer, type Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Exit, Schema, Scope } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import * as Collector from "../../collector/Collector.ts"
import { RecordFramer } from "../../collector/connectors/RecordFramer.ts"
import { CollectorSpec } from "../../model/Collector.ts"

const bin = fileURLToPath(new URL("../../cluster/cli/corvus.mjs", import.meta.url))
const agents: Array<ChildProcess> = []
const directories: Array<string> = []
const openScopes: Array<Scope.CloseableScope> = []

afterAll(async () => {
  for (const scope of openScopes) await Effect.runPromise(Scope.close(scope, Exit.void))
  for (const agent of agents) {
    try {
      process.kill(-agent.pid!, "SIGKILL")
    } catch {
      // already gone
    }
  }
  for (const directory of directories) rmSync(directory, { recursive: true, force: true })
})

interface TestCollector {
  readonly port: number
  /** The Message of each event, in arrival order ("seq 17"). */
  readonly events: Array<string>
  readonly stop: () => Promise<void>
}

interface RealCollector extends TestCollector {
  readonly stats: Collector.CollectorStats
}

/** The real collector (tcp connector, json normalizer) in its own scope; stopping closes the scope. */
const startRealCollector = async (id: string): Promise<RealCollector> => {
  const events: Array<string> = []
  const spec = Schema.decodeUnknownSync(CollectorSpec)({
    id,
    tenantId: "acme",
    name: `Failover ${id}`,
    connector: { kind: "tcp", host: "127.0.0.1", port: 0 },
    normalizer: "json"
  })
  const scope = Effect.runSync(Scope.make())
  openScopes.push(scope)
  const running = await Effect.runPromise(
    Collector.run(spec, (batch) => Effect.sync(() => {
      for (const event of batch) events.push(event.Message ?? "")
    })).pipe(Scope.extend(scope))
  )
  return {
    port: running.port,
    events,
    stats: running.stats,
    stop: async () => {
      openScopes.splice(openScopes.indexOf(scope), 1)
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  }
}

/** A hand-written collector whose stop dies abruptly: it stops reading, lets data pile up unread, then resets every connection. */
const startAbruptCollector = async (): Promise<TestCollector> => {
  const events: Array<string> = []
  const sockets = new Set<Socket>()
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket)
    const framer = new RecordFramer(0x0a, 4 * 1024 * 1024, {
      record: (text) => events.push((JSON.parse(text) as { Message: string }).Message),
      oversize: () => {}
    })
    socket.on("data", (chunk: Buffer) => framer.push(chunk))
    socket.on("end", () => {
      framer.end()
      socket.end()
    })
    socket.on("error", () => {})
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    port: (server.address() as { port: number }).port,
    events,
    stop: async () => {
      server.close()
      for (const socket of sockets) socket.pause()
      await new Promise((resolve) => setTimeout(resolve, 100))
      for (const socket of sockets) socket.resetAndDestroy()
    }
  }
}

const waitFor = async (condition: () => boolean, what: string, timeoutMillis: number, context: () => string = () => "") => {
  const deadline = Date.now() + timeoutMillis
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMillis} ms\n${context()}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const duplicatesIn = (events: ReadonlyArray<string>) => events.length - new Set(events).size

/** Runs one failover scenario and returns what each collector received. */
const runScenario = async <C extends TestCollector>(
  start: () => Promise<readonly [C, C]>,
  pace: { readonly pauseMillis: number; readonly resendWindowSeconds: number; readonly stopAfter: number }
) => {
  const directory = mkdtempSync(join(tmpdir(), "corvus-agent-e2e-"))
  directories.push(directory)
  const logFile = join(directory, "events.log")
  const statusFile = join(directory, "status.json")
  writeFileSync(logFile, "")
  const [first, second] = await start()
  const output = openSync(join(directory, "agent.out"), "w")
  const agent = spawn(
    process.execPath,
    [
      bin,
      "agent",
      "--collector", `tcp://127.0.0.1:${first.port}`,
      "--collector", `tcp://127.0.0.1:${second.port}`,
      "--file", logFile,
      "--max-delay", "0.05",
      "--batch-records", "50",
      "--timeout", "2",
      "--resend-window", String(pace.resendWindowSeconds),
      "--state-dir", join(directory, "state"),
      "--status-interval", "0.25",
      "--status-file", statusFile
    ],
    { cwd: directory, detached: true, stdio: ["ignore", output, output] }
  )
  closeSync(output)
  agents.push(agent)
  const exited = new Promise<number | null>((resolve) => agent.once("exit", (code) => resolve(code)))

  const total = 4_000
  const expected = Array.from({ length: total }, (_, seq) => `seq ${seq}`)
  const agentLog = () => readFileSync(join(directory, "agent.out"), "utf8")
  await waitFor(() => agentLog().includes("connected to"), "the agent's connection", 20_000, agentLog)
  let stopped: Promise<void> | undefined
  let stopMillis = 0
  for (let written = 0; written < total; written += 40) {
    appendFileSync(logFile, expected.slice(written, written + 40).map((message) => `${JSON.stringify({ Message: message })}\n`).join(""))
    await new Promise((resolve) => setTimeout(resolve, pace.pauseMillis))
    // Mid-stream: the first collector has part of the stream and more is being written.
    if (stopped === undefined && first.events.length >= pace.stopAfter) {
      const stopStartedAt = Date.now()
      stopped = first.stop().then(() => void (stopMillis = Date.now() - stopStartedAt))
    }
  }
  await stopped
  const delivered = () => new Set([...first.events, ...second.events]).size
  await waitFor(() => delivered() === total, `delivery of all ${total} events`, 10_000, agentLog)
  // Each record is confirmed once, at whichever collector it counted for.
  await waitFor(() => (JSON.parse(readFileSync(statusFile, "utf8")) as { confirmed: number }).confirmed === total, "confirmation of every event in the status file", 5_000)
  const status = JSON.parse(readFileSync(statusFile, "utf8")) as { server: string; failovers: number; resent: number; confirmed: number; queue: { records: number } }

  agent.kill("SIGTERM")
  const exitCode = await exited
  const log = readFileSync(join(directory, "agent.out"), "utf8")
  const finalStatus = JSON.parse(log.trim().split("\n").filter((line) => line.startsWith("{")).at(-1)!) as { state: string }
  await second.stop()
  return { first, second, expected, status, exitCode, log, finalStatus, stopMillis }
}

describe("corvus agent failover (real process, two collectors on loopback)", () => {
  it("the first collector drains mid-stream: every event arrives, the rest at the second, none twice", async () => {
    const { first, second, expected, status, exitCode, log, finalStatus, stopMillis } = await runScenario(
      () => Promise.all([startRealCollector("failover-first"), startRealCollector("failover-second")]),
      { pauseMillis: 5, resendWindowSeconds: 1, stopAfter: 1_000 }
    )
    const firstSet = new Set(first.events)
    const both = second.events.filter((event) => firstSet.has(event)).length
    console.log(
      `drained failover: first collector ${first.events.length} events (drained and published in ${stopMillis} ms), second ${second.events.length}; ` +
        `at both: ${both}, twice at one: ${duplicatesIn(first.events) + duplicatesIn(second.events)}, resent: ${status.resent}`
    )
    // The drain finished on the agent's FIN, not on the timeout, and the agent's lone delimiter was skipped.
    for (const collector of [first, second]) expect(collector.stats).toMatchObject({ parseErrors: 0, connectionErrors: 0, oversize: 0 })
    expect(first.stats.published).toBe(first.events.length)
    expect(first.events.length).toBeGreaterThan(0)
    expect(first.events.length).toBeLessThan(expected.length)
    // Every event the first collector did not get arrives at the second, in order.
    expect(second.events).toEqual(expected.filter((event) => !firstSet.has(event)))
    expect([...first.events, ...second.events]).toEqual(expected)
    expect(both).toBe(0)
    expect(status).toMatchObject({ server: `tcp://127.0.0.1:${second.port}`, failovers: 1, resent: 0 })
    expect(log).toMatch(/closed the connection after reading everything sent/)
    expect(log).toMatch(new RegExp(`failover: tcp://127.0.0.1:${first.port} -> tcp://127.0.0.1:${second.port}`))
    expect(exitCode).toBe(0)
    expect(finalStatus.state).toBe("stopped")
  }, 45_000)

  it("the first collector dies abruptly mid-stream: every event still arrives; re-sent ones are counted", async () => {
    const { first, second, expected, status, exitCode } = await runScenario(
      () => Promise.all([startAbruptCollector(), startAbruptCollector()]),
      { pauseMillis: 20, resendWindowSeconds: 0.3, stopAfter: 2_000 }
    )
    const firstSet = new Set(first.events)
    const both = second.events.filter((event) => firstSet.has(event)).length
    console.log(
      `abrupt failover: first collector ${first.events.length} events, second ${second.events.length}; ` +
        `at both (duplicates across collectors): ${both}, twice at one: ${duplicatesIn(first.events) + duplicatesIn(second.events)}, resent: ${status.resent}`
    )
    expect(new Set([...first.events, ...second.events]).size).toBe(expected.length)
    // The second collector holds everything from the first unconfirmed record on, in order.
    const resumedAt = expected.indexOf(second.events[0]!)
    expect(second.events).toEqual(expected.slice(resumedAt))
    expect(duplicatesIn(first.events) + duplicatesIn(second.events)).toBe(0)
    // Duplicates are bounded by what was re-sent, and only records inside the resend window were:
    // the stream lasts about 2.5 s, the window is 0.3 s.
    expect(both).toBeLessThanOrEqual(status.resent)
    expect(second.events.length).toBeLessThan(expected.length)
    expect(status).toMatchObject({ server: `tcp://127.0.0.1:${second.port}`, failovers: 1 })
    expect(exitCode).toBe(0)
  }, 45_000)
})
