// Follows a file like `tail -F`: reads what is appended, notices rotation (the path now names
// another file: the old one is read to its end first) and truncation (read again from the start),
// waits for a file that does not exist yet, and remembers across restarts how far its records
// were delivered (not merely read), so a restart re-reads what was still in the queue.
import { type FileHandle, open, stat } from "node:fs/promises"
import type { AgentQueue, RecordOrigin } from "../AgentQueue.ts"
import type { SourceStatus } from "../AgentStatus.ts"
import { RecordSplitter } from "../RecordSplitter.ts"
import type { AgentSource, SourceContext } from "./AgentSource.ts"
import { loadPosition, savePosition } from "./FilePosition.ts"

export interface FileSourceSettings {
  /** Absolute path of the file to follow. */
  readonly path: string
  /** Where to start in a file with no saved position. */
  readonly startAt: "beginning" | "end"
  readonly stateDir: string
  readonly pollMillis?: number
  /** How often a changed position is written to the state file. */
  readonly saveMillis?: number
}

const ChunkBytes = 64 * 1024
const DefaultPollMillis = 250
const DefaultSaveMillis = 1_000

/** One file behind the path (a rotation or truncation starts a new one): delivered records move its position. */
class FileGeneration implements RecordOrigin {
  constructor(
    readonly dev: bigint,
    readonly ino: bigint,
    public deliveredOffset: number,
    private readonly changed: () => void
  ) {}

  settle(endOffset: number): void {
    if (endOffset <= this.deliveredOffset) return
    this.deliveredOffset = endOffset
    this.changed()
  }
}

const isMissing = (cause: unknown): boolean => (cause as { code?: string } | undefined)?.code === "ENOENT"

export class FileSource implements AgentSource {
  readonly ended: Promise<void> = new Promise(() => {})
  private handle: FileHandle | undefined
  private generation: FileGeneration | undefined
  private splitter: RecordSplitter
  private readBuffer = Buffer.allocUnsafe(ChunkBytes)
  private paused = false
  private stopped = false
  private wakeUp: (() => void) | undefined
  private saveTimer: ReturnType<typeof setTimeout> | undefined
  private saving: Promise<void> = Promise.resolve()
  private loop: Promise<void> = Promise.resolve()
  private rotations = 0
  private truncations = 0
  private readonly pollMillis: number

  private constructor(
    private readonly settings: FileSourceSettings,
    private readonly queue: AgentQueue,
    private readonly context: SourceContext
  ) {
    this.pollMillis = settings.pollMillis ?? DefaultPollMillis
    this.splitter = this.newSplitter(0)
  }

  /** Opens the file at its saved position (or per `startAt`) and starts following it. */
  static async start(settings: FileSourceSettings, queue: AgentQueue, context: SourceContext): Promise<FileSource> {
    const source = new FileSource(settings, queue, context)
    await source.openAtSavedPosition()
    queue.addFlowControl(source)
    source.loop = source.follow()
    return source
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    this.paused = false
    this.wake()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.wake()
    await this.loop
    await this.handle?.close().catch(() => {})
    this.handle = undefined
    clearTimeout(this.saveTimer)
    this.saveTimer = undefined
    await this.saving
    await this.save()
  }

  status(): SourceStatus {
    return {
      source: "file",
      path: this.settings.path,
      open: this.handle !== undefined,
      delivered: this.generation?.deliveredOffset ?? 0,
      read: this.splitter.position,
      rotations: this.rotations,
      truncations: this.truncations
    }
  }

  private newSplitter(offset: number): RecordSplitter {
    return new RecordSplitter(
      this.context.delimiter,
      this.context.maxRecordBytes,
      {
        record: (bytes, endOffset) => this.queue.offer(bytes, this.generation, endOffset),
        oversize: (bytes, endOffset) => {
          this.context.oversize(bytes)
          this.generation?.settle(endOffset)
        }
      },
      offset
    )
  }

  private async openAtSavedPosition(): Promise<void> {
    const path = this.settings.path
    const saved = await loadPosition(this.settings.stateDir, path)
    let handle: FileHandle
    try {
      handle = await open(path, "r")
    } catch (cause) {
      if (isMissing(cause)) return this.context.log(`file ${path} does not exist yet; waiting for it`)
      throw cause
    }
    const info = await handle.stat({ bigint: true })
    const size = Number(info.size)
    let offset: number
    if (saved !== undefined && saved.dev === String(info.dev) && saved.ino === String(info.ino)) {
      offset = saved.offset <= size ? saved.offset : 0
      if (saved.offset > size) this.context.log(`file ${path} is shorter than its saved position: it was truncated, reading it from the start`)
    } else if (saved !== undefined) {
      offset = 0
      this.context.log(`file ${path} was replaced (rotated) while the agent was stopped: reading the new file from the start`)
    } else {
      offset = this.settings.startAt === "end" ? size : 0
    }
    this.useFile(handle, info.dev, info.ino, offset)
  }

  private useFile(handle: FileHandle, dev: bigint, ino: bigint, offset: number): void {
    this.handle = handle
    this.generation = new FileGeneration(dev, ino, offset, () => this.positionChanged())
    this.splitter = this.newSplitter(offset)
    this.positionChanged()
  }

  private async follow(): Promise<void> {
    while (!this.stopped) {
      if (this.paused) {
        await this.sleep(Number.POSITIVE_INFINITY)
        continue
      }
      let progressed = false
      try {
        progressed = await this.step()
      } catch (cause) {
        this.context.log(`file ${this.settings.path}: ${cause instanceof Error ? cause.message : String(cause)}`)
      }
      if (!progressed) await this.sleep(this.pollMillis)
    }
  }

  /** Reads one chunk, or at the end of the file looks for rotation and truncation; true when something changed. */
  private async step(): Promise<boolean> {
    const path = this.settings.path
    if (this.handle === undefined) {
      try {
        const handle = await open(path, "r")
        const info = await handle.stat({ bigint: true })
        this.context.log(`file ${path} appeared; following it`)
        this.useFile(handle, info.dev, info.ino, 0)
        return true
      } catch (cause) {
        if (isMissing(cause)) return false
        throw cause
      }
    }
    const { bytesRead } = await this.handle.read(this.readBuffer, 0, ChunkBytes, this.splitter.position)
    if (bytesRead > 0) {
      // Records share the chunk's memory until delivered; a small read is copied so a mostly
      // empty 64 KiB buffer is not held for one line.
      const chunk = bytesRead < ChunkBytes / 4 ? Buffer.from(this.readBuffer.subarray(0, bytesRead)) : this.readBuffer.subarray(0, bytesRead)
      if (chunk.buffer === this.readBuffer.buffer) this.readBuffer = Buffer.allocUnsafe(ChunkBytes)
      this.splitter.push(chunk)
      return true
    }
    const current = await stat(path, { bigint: true }).catch((cause: unknown) => {
      if (isMissing(cause)) return undefined
      throw cause
    })
    const generation = this.generation!
    if (current === undefined) return false
    if (current.dev !== generation.dev || current.ino !== generation.ino) {
      // Rotated: the old file has been read to its end; its unterminated last line is a record too.
      this.splitter.end()
      await this.handle.close().catch(() => {})
      this.handle = undefined
      this.rotations++
      this.context.log(`file ${path} was rotated; following the new file`)
      return true
    }
    const size = Number((await this.handle.stat({ bigint: true })).size)
    if (size < this.splitter.position) {
      this.truncations++
      this.context.log(`file ${path} was truncated; reading it from the start`)
      this.useFile(this.handle, generation.dev, generation.ino, 0)
      return true
    }
    return false
  }

  private positionChanged(): void {
    if (this.saveTimer !== undefined || this.stopped) return
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined
      this.saving = this.saving.then(() => this.save())
    }, this.settings.saveMillis ?? DefaultSaveMillis)
  }

  private async save(): Promise<void> {
    const generation = this.generation
    if (generation === undefined) return
    try {
      await savePosition(this.settings.stateDir, {
        path: this.settings.path,
        dev: String(generation.dev),
        ino: String(generation.ino),
        offset: generation.deliveredOffset
      })
    } catch (cause) {
      this.context.log(`cannot save the position of ${this.settings.path}: ${cause instanceof Error ? cause.message : String(cause)}`)
    }
  }

  private sleep(millis: number): Promise<void> {
    if (this.stopped) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = Number.isFinite(millis) ? setTimeout(() => this.wake(), millis) : undefined
      this.wakeUp = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  private wake(): void {
    const wakeUp = this.wakeUp
    this.wakeUp = undefined
    wakeUp?.()
  }
}
