// The real `corvus agent` process (through the npm bin shim, detached, logging to a file) follows
// a log file and ships it to two collectors on loopback; the first is stopped mid-stream. Every
// event must arrive, the ones the first collector did not get at the second, in order.
// - A collector that stops by draining (no new connections, FIN on each, reading on until the
//   agent's FIN): nothing may be lost and nothing may arrive twice.
// - A collector that dies abruptly over unread data (a reset): nothing may be lost; the records
//   the agent wrote within its resend window arrive again at the second collector (at-least-once),
//   and the test reports how many.
import { type ChildProcess, spawn } from "node:child_process"
import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer, type Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { RecordFramer } from "../../collector/connectors/RecordFramer.ts"

const bin = fileURLToPath(new URL("../../cluster/cli/corvus.mjs", import.meta.url))
const agents: Array<ChildProcess> = []
const directories: Array<string> = []

afterAll(() => {
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
  readonly events: Array<string>
  /** No new connections; FIN on each connection; reads on until the agent's FIN. */
  readonly stopDraining: () => Promise<void>
  /** Stops reading, lets data pile up unread, then destroys every connection (a reset). */
  readonly stopAbruptly: () => Promise<void>
}

const startCollector = async (): Promise<TestCollector> => {
  const events: Array<string> = []
  const sockets = new Set<Socket>()
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket)
    const framer = new RecordFramer(0x0a, 4 * 1024 * 1024, { record: (text) => events.push(text), oversize: () => {} })
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
    stopDraining: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        for (const socket of sockets) socket.end()
      }),
    stopAbruptly: async () => {
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
const runScenario = async (
  stop: (collector: TestCollector) => Promise<void>,
  pace: { readonly pauseMillis: number; readonly resendWindowSeconds: number; readonly stopAfter: number }
) => {
  const directory = mkdtempSync(join(tmpdir(), "corvus-agent-e2e-"))
  directories.push(directory)
  const logFile = join(directory, "events.log")
  const statusFile = join(directory, "status.json")
  writeFileSync(logFile, "")
  const [first, second] = await Promise.all([startCollector(), startCollector()])
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
  const expected = Array.from({ length: total }, (_, seq) => JSON.stringify({ seq, msg: `event ${seq}` }))
  const agentLog = () => readFileSync(join(directory, "agent.out"), "utf8")
  await waitFor(() => agentLog().includes("connected to"), "the agent's connection", 20_000, agentLog)
  let stopped: Promise<void> | undefined
  for (let written = 0; written < total; written += 40) {
    appendFileSync(logFile, expected.slice(written, written + 40).map((line) => `${line}\n`).join(""))
    await new Promise((resolve) => setTimeout(resolve, pace.pauseMillis))
    // Mid-stream: the first collector has part of the stream and more is being written.
    if (stopped === undefined && first.events.length >= pace.stopAfter) stopped = stop(first)
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
  return { first, second, expected, status, exitCode, log, finalStatus }
}

describe("corvus agent failover (real process, two collectors on loopback)", () => {
  it("the first collector drains mid-stream: every event arrives, the rest at the second, none twice", async () => {
    const { first, second, expected, status, exitCode, log, finalStatus } = await runScenario((collector) => collector.stopDraining(), { pauseMillis: 5, resendWindowSeconds: 1, stopAfter: 1_000 })
    const firstSet = new Set(first.events)
    const both = second.events.filter((event) => firstSet.has(event)).length
    console.log(
      `drained failover: first collector ${first.events.length} events, second ${second.events.length}; ` +
        `at both: ${both}, twice at one: ${duplicatesIn(first.events) + duplicatesIn(second.events)}, resent: ${status.resent}`
    )
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
    const { first, second, expected, status, exitCode } = await runScenario((collector) => collector.stopAbruptly(), { pauseMillis: 20, resendWindowSeconds: 0.3, stopAfter: 2_000 })
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
