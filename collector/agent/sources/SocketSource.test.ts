// Local sockets and stdin as sources: each connection (or the stream) is its own sequence of
// records, the last unterminated record counts at the end, backpressure pauses the writers, and
// a stale Unix socket file from an earlier run is replaced.
import { afterEach, describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { lstatSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { connect } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { PassThrough } from "node:stream"
import { parseListenAddress } from "../AgentConfig.ts"
import { AgentQueue } from "../AgentQueue.ts"
import type { SourceContext } from "./AgentSource.ts"
import { SocketSource } from "./SocketSource.ts"
import { StreamSource } from "./StreamSource.ts"

const directories: Array<string> = []
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true })
})

const context: SourceContext = { delimiter: 0x0a, maxRecordBytes: 1024, oversize: () => {}, log: () => {} }
const newQueue = (maxRecords = 1_000) =>
  new AgentQueue({ maxRecords, maxBytes: 1_000_000, whenFull: "backpressure", batchRecords: maxRecords, batchBytes: 1_000_000, maxDelayMillis: 0 })

const texts = (queue: AgentQueue): Array<string> => {
  const all: Array<string> = []
  for (let batch = queue.take(); batch !== undefined; batch = queue.take()) {
    all.push(...batch.records.map((record) => record.bytes.toString()))
    queue.confirm(batch)
  }
  return all
}

const waitFor = async (condition: () => boolean) => {
  const deadline = Date.now() + 3_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition did not hold")
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

const write = (target: { path: string } | { port: number; host: string }, text: string) =>
  new Promise<void>((resolve, reject) => {
    const socket = connect(target as { path: string }, () => socket.end(text, () => resolve()))
    socket.on("error", reject)
  })

describe("SocketSource", () => {
  it("takes records from a Unix domain socket, replacing a stale socket file", async () => {
    const directory = mkdtempSync(join(tmpdir(), "corvus-agent-sock-"))
    directories.push(directory)
    const path = join(directory, "agent.sock")
    // A process that dies while listening leaves its socket file behind, with nobody listening.
    spawnSync(process.execPath, ["-e", `require("node:net").createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, "SIGKILL"))`])
    expect(lstatSync(path).isSocket()).toBe(true)
    const queue = newQueue()
    const source = await SocketSource.listen({ kind: "unix", path }, queue, context)
    await write({ path }, "from unix 1\nfrom unix 2")
    await waitFor(() => queue.records === 2)
    expect(texts(queue)).toEqual(["from unix 1", "from unix 2"])
    await source.stop()
  })

  it("refuses to replace a file that is not a socket", async () => {
    const directory = mkdtempSync(join(tmpdir(), "corvus-agent-sock-"))
    directories.push(directory)
    const path = join(directory, "not-a-socket")
    writeFileSync(path, "keep me")
    await expect(SocketSource.listen({ kind: "unix", path }, newQueue(), context)).rejects.toThrow("is not a socket")
  })

  it("takes records from a loopback TCP listener, each connection framed on its own", async () => {
    const queue = newQueue()
    const source = await SocketSource.listen({ kind: "tcp", host: "127.0.0.1", port: 0 }, queue, context)
    await Promise.all([write({ host: "127.0.0.1", port: source.port }, "a1\na2\n"), write({ host: "127.0.0.1", port: source.port }, "b1\n")])
    await waitFor(() => queue.records === 3)
    expect(texts(queue).sort()).toEqual(["a1", "a2", "b1"])
    await source.stop()
  })

  it("listens on loopback addresses only", () => {
    expect(parseListenAddress("tcp://0.0.0.0:5000")).toContain("loopback addresses only")
    expect(parseListenAddress("10.0.0.1:5000")).toContain("loopback addresses only")
    expect(parseListenAddress("tcp://127.0.0.1:5000")).toEqual({ kind: "tcp", host: "127.0.0.1", port: 5000 })
    expect(parseListenAddress("unix:/run/agent.sock")).toEqual({ kind: "unix", path: "/run/agent.sock" })
  })

  it("pauses its connections while the queue is full and resumes them when there is room", async () => {
    const queue = newQueue(10)
    const source = await SocketSource.listen({ kind: "tcp", host: "127.0.0.1", port: 0 }, queue, context)
    const lines = Array.from({ length: 200_000 }, (_, index) => `line ${index}\n`).join("")
    const writing = write({ host: "127.0.0.1", port: source.port }, lines)
    await waitFor(() => queue.isPaused)
    await new Promise((resolve) => setTimeout(resolve, 50))
    // Paused: the queue holds one read's worth, not the 200,000 lines.
    expect(queue.records).toBeLessThan(20_000)
    let total = 0
    while (total < 200_000) {
      total += texts(queue).length
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    await writing
    expect(total).toBe(200_000)
    await source.stop()
  })
})

describe("StreamSource (stdin)", () => {
  it("reads records, emits the unterminated last one at the end, and reports that it ended", async () => {
    const stream = new PassThrough()
    const queue = newQueue()
    const source = new StreamSource("stdin", stream, queue, context)
    stream.write("first\nsec")
    stream.end("ond\nlast")
    await source.ended
    expect(texts(queue)).toEqual(["first", "second", "last"])
    expect(source.status()).toEqual({ source: "stdin", ended: true })
  })

  it("pauses the stream under backpressure so the producer waits", async () => {
    const stream = new PassThrough()
    const queue = newQueue(2)
    const source = new StreamSource("stdin", stream, queue, context)
    stream.write("a\nb\n")
    await waitFor(() => queue.isPaused)
    expect(stream.isPaused()).toBe(true)
    texts(queue)
    expect(stream.isPaused()).toBe(false)
    await source.stop()
  })
})
