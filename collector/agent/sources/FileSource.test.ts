// Following a file like tail -F: appended records in order, a partial line waits for its
// delimiter, rotation (the old file read to its end first) and truncation, a file that appears
// later, and a position that survives restarts: what was delivered is not read again, what was
// only read (not delivered) is.
import { afterEach, describe, expect, it } from "@effect/vitest"
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AgentQueue, type QueueSettings } from "../AgentQueue.ts"
import type { SourceContext } from "./AgentSource.ts"
import { FileSource, type FileSourceSettings } from "./FileSource.ts"

const directories: Array<string> = []
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true })
})

const workspace = () => {
  const directory = mkdtempSync(join(tmpdir(), "corvus-agent-file-"))
  directories.push(directory)
  return { file: join(directory, "app.log"), stateDir: join(directory, "state") }
}

const context: SourceContext = { delimiter: 0x0a, maxRecordBytes: 1024, oversize: () => {}, log: () => {} }

const newQueue = (overrides: Partial<QueueSettings> = {}) =>
  new AgentQueue({ maxRecords: 1_000, maxBytes: 1_000_000, whenFull: "backpressure", batchRecords: 1_000, batchBytes: 1_000_000, maxDelayMillis: 0, ...overrides })

const start = (queue: AgentQueue, settings: Omit<FileSourceSettings, "pollMillis" | "saveMillis" | "startAt"> & Partial<FileSourceSettings>) =>
  FileSource.start({ startAt: "beginning", pollMillis: 10, saveMillis: 10, ...settings }, queue, context)

/** Takes everything queued; confirms it (delivered) unless told otherwise. */
const takeAll = (queue: AgentQueue, confirm = true): Array<string> => {
  const texts: Array<string> = []
  for (let batch = queue.take(); batch !== undefined; batch = queue.take()) {
    texts.push(...batch.records.map((record) => record.bytes.toString()))
    if (confirm) queue.confirm(batch)
  }
  return texts
}

const collect = async (queue: AgentQueue, count: number, confirm = true): Promise<Array<string>> => {
  const texts: Array<string> = []
  const deadline = Date.now() + 3_000
  while (texts.length < count) {
    if (Date.now() > deadline) throw new Error(`got ${texts.length} of ${count} records: ${JSON.stringify(texts)}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
    texts.push(...takeAll(queue, confirm))
  }
  return texts
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 80))

describe("FileSource following", () => {
  it("reads the file and then what is appended, in order; a partial line waits for its delimiter", async () => {
    const { file, stateDir } = workspace()
    writeFileSync(file, "one\ntwo\n")
    const queue = newQueue()
    const source = await start(queue, { path: file, stateDir })
    expect(await collect(queue, 2)).toEqual(["one", "two"])
    appendFileSync(file, "three\nfou")
    expect(await collect(queue, 1)).toEqual(["three"])
    await settle()
    expect(takeAll(queue)).toEqual([])
    appendFileSync(file, "r\n")
    expect(await collect(queue, 1)).toEqual(["four"])
    await source.stop()
  })

  it("after rotation reads the rest of the old file, then the new file from its start", async () => {
    const { file, stateDir } = workspace()
    writeFileSync(file, "old1\n")
    const queue = newQueue()
    const source = await start(queue, { path: file, stateDir })
    expect(await collect(queue, 1)).toEqual(["old1"])
    appendFileSync(file, "old2\nold3-unterminated")
    renameSync(file, `${file}.1`)
    writeFileSync(file, "new1\nnew2\n")
    expect(await collect(queue, 4)).toEqual(["old2", "old3-unterminated", "new1", "new2"])
    expect(source.status()).toMatchObject({ rotations: 1 })
    await source.stop()
  })

  it("after truncation reads the file again from its start", async () => {
    const { file, stateDir } = workspace()
    writeFileSync(file, "a long first line\nanother long line\n")
    const queue = newQueue()
    const source = await start(queue, { path: file, stateDir })
    expect(await collect(queue, 2)).toHaveLength(2)
    truncateSync(file, 0)
    appendFileSync(file, "fresh\n")
    expect(await collect(queue, 1)).toEqual(["fresh"])
    expect(source.status()).toMatchObject({ truncations: 1 })
    await source.stop()
  })

  it("waits for a file that does not exist yet and reads it from its start when it appears", async () => {
    const { file, stateDir } = workspace()
    const queue = newQueue()
    const source = await start(queue, { path: file, stateDir, startAt: "end" })
    await settle()
    writeFileSync(file, "first\n")
    expect(await collect(queue, 1)).toEqual(["first"])
    await source.stop()
  })

  it("startAt end skips what a file held before the agent first saw it", async () => {
    const { file, stateDir } = workspace()
    writeFileSync(file, "history\n")
    const queue = newQueue()
    const source = await start(queue, { path: file, stateDir, startAt: "end" })
    await settle()
    appendFileSync(file, "news\n")
    expect(await collect(queue, 1)).toEqual(["news"])
    await source.stop()
  })

  it("stops reading while the queue applies backpressure and continues where it stopped", async () => {
    const { file, stateDir } = workspace()
    const lines = Array.from({ length: 5_000 }, (_, index) => `line ${index} ${"x".repeat(60)}`)
    writeFileSync(file, lines.map((line) => `${line}\n`).join(""))
    const queue = newQueue({ maxRecords: 100, batchRecords: 100 })
    const source = await start(queue, { path: file, stateDir })
    await settle()
    // One 64 KiB read may pass the limit, but reading stopped far before the 5000 lines.
    expect(queue.isPaused).toBe(true)
    expect(queue.records).toBeLessThanOrEqual(100 + 65_536 / 60)
    expect(await collect(queue, 5_000)).toEqual(lines)
    await source.stop()
  })
})

describe("FileSource position across restarts", () => {
  it("a restart continues after the delivered records: nothing twice", async () => {
    const { file, stateDir } = workspace()
    writeFileSync(file, "a\nb\n")
    const first = newQueue()
    const before = await start(first, { path: file, stateDir })
    expect(await collect(first, 2)).toEqual(["a", "b"])
    await before.stop()
    appendFileSync(file, "c\n")
    const second = newQueue()
    const after = await start(second, { path: file, stateDir })
    expect(await collect(second, 1)).toEqual(["c"])
    await settle()
    expect(takeAll(second)).toEqual([])
    await after.stop()
  })

  it("records read but not delivered before a stop are read again after the restart: nothing lost", async () => {
    const { file, stateDir } = workspace()
    writeFileSync(file, "delivered\n")
    const first = newQueue()
    const before = await start(first, { path: file, stateDir })
    expect(await collect(first, 1)).toEqual(["delivered"])
    appendFileSync(file, "read only 1\nread only 2\n")
    expect(await collect(first, 2, false)).toEqual(["read only 1", "read only 2"])
    await before.stop()
    const second = newQueue()
    const after = await start(second, { path: file, stateDir })
    expect(await collect(second, 2)).toEqual(["read only 1", "read only 2"])
    await after.stop()
  })

  it("a file replaced while the agent was stopped is read from its start", async () => {
    const { file, stateDir } = workspace()
    writeFileSync(file, "old\n")
    const first = newQueue()
    const before = await start(first, { path: file, stateDir })
    expect(await collect(first, 1)).toEqual(["old"])
    await before.stop()
    renameSync(file, `${file}.1`)
    writeFileSync(file, "replacement\n")
    const second = newQueue()
    const after = await start(second, { path: file, stateDir })
    expect(await collect(second, 1)).toEqual(["replacement"])
    await after.stop()
  })
})
