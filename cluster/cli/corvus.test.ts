// The `corvus` executable as an operator runs it (through the npm bin shim, from any folder):
// usage and exit status 2 for a missing or unknown command, the agent's help, and the agent
// shipping stdin to a collector and exiting once everything was delivered.
import { describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { fileURLToPath } from "node:url"

const bin = fileURLToPath(new URL("./corvus.mjs", import.meta.url))

const corvus = (args: ReadonlyArray<string>, input = ""): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: tmpdir(), stdio: ["pipe", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.on("close", (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(input)
  })

// Each spawn loads TypeScript through tsx (about 2 s, more on a busy machine): tests run the
// independent invocations side by side and allow for a slow start.
const SpawnTimeout = 30_000

describe("corvus command", () => {
  it("prints the usage listing agent: on stderr with status 2 without a command or for an unknown one, on stdout with 0 for --help", async () => {
    const [none, unknown, help] = await Promise.all([corvus([]), corvus(["frobnicate"]), corvus(["--help"])])
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/Usage: corvus <command>/)
    expect(none.stderr).toMatch(/\n {2}agent +ship events/)
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/)
    expect(unknown.stderr).toMatch(/\n {2}agent +ship events/)
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/Usage: corvus <command>/)
  }, SpawnTimeout)

  it("agent --help lists the agent's options; a bad option exits with 2 and a message naming it", async () => {
    const [help, bad] = await Promise.all([corvus(["agent", "--help"]), corvus(["agent", "--collector", "127.0.0.1:1", "--stdin", "--timeout", "soon"])])
    expect(help.code).toBe(0)
    for (const option of ["--collector", "--file", "--stdin", "--listen", "--timeout", "--max-delay", "--when-full", "--pfx", "--status-file"]) expect(help.stdout).toContain(option)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--timeout: "soon" is not a number/)
  }, SpawnTimeout)

  it("agent prints a status line on SIGUSR1 and stops cleanly on SIGTERM", async () => {
    const child = spawn(process.execPath, [bin, "agent", "--collector", "127.0.0.1:1", "--listen", "tcp://127.0.0.1:0", "--status-interval", "0", "--timeout", "0.5"], {
      cwd: tmpdir(),
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
    const lines = () => stdout.split("\n").filter((line) => line.startsWith("{"))
    const deadline = Date.now() + 20_000
    while (lines().length < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(lines()).toHaveLength(1)
    child.kill("SIGUSR1")
    while (lines().length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    const onDemand = JSON.parse(lines()[1]!) as { state: string; server: string; sources: Array<{ source: string }> }
    expect(onDemand.server).toBe("tcp://127.0.0.1:1")
    expect(onDemand.sources).toEqual([expect.objectContaining({ source: "listen" })])
    child.kill("SIGTERM")
    expect(await exited).toBe(0)
    expect(JSON.parse(lines().at(-1)!)).toMatchObject({ state: "stopped" })
  }, SpawnTimeout)

  it("agent --stdin ships every line to the collector and exits with 0 once they were delivered", async () => {
    let received = ""
    const server = createServer((socket) => socket.on("data", (chunk: Buffer) => (received += chunk.toString())))
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const port = (server.address() as { port: number }).port
    const lines = Array.from({ length: 2_000 }, (_, index) => `{"n":${index}}`)
    const result = await corvus(["agent", "--collector", `127.0.0.1:${port}`, "--stdin", "--status-interval", "0"], lines.map((line) => `${line}\n`).join(""))
    server.close()
    expect(result.stderr).toMatch(/connected to tcp:\/\/127\.0\.0\.1/)
    expect(result.code).toBe(0)
    expect(received.split("\n").filter(Boolean)).toEqual(lines)
    const last = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as { state: string; confirmed: number; queue: { records: number } }
    expect(last).toMatchObject({ state: "stopped", confirmed: 2_000, queue: { records: 0 } })
  }, SpawnTimeout)
})
