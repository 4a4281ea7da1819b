// Reads records from a byte stream the agent does not control: standard input. Backpressure
// pauses the stream, so the producing program blocks on its pipe instead of losing records.
import type { AgentQueue } from "../AgentQueue.ts"
import type { SourceStatus } from "../AgentStatus.ts"
import { RecordSplitter } from "../RecordSplitter.ts"
import type { AgentSource, SourceContext } from "./AgentSource.ts"

export class StreamSource implements AgentSource {
  readonly ended: Promise<void>
  private finished = false
  private readonly release: () => void

  constructor(
    private readonly name: string,
    private readonly stream: NodeJS.ReadableStream,
    queue: AgentQueue,
    context: SourceContext
  ) {
    const splitter = new RecordSplitter(context.delimiter, context.maxRecordBytes, {
      record: (bytes) => queue.offer(bytes, undefined, 0),
      oversize: (bytes) => context.oversize(bytes)
    })
    this.ended = new Promise((resolve) => {
      const finish = () => {
        if (this.finished) return
        this.finished = true
        splitter.end()
        resolve()
      }
      stream.on("end", finish)
      stream.on("close", finish)
      stream.on("error", (cause: Error) => {
        context.log(`${name}: ${cause.message}`)
        finish()
      })
    })
    stream.on("data", (chunk: Buffer | string) => splitter.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk))
    this.release = queue.addFlowControl(this)
  }

  pause(): void {
    if (!this.finished) this.stream.pause()
  }

  resume(): void {
    if (!this.finished) this.stream.resume()
  }

  stop(): Promise<void> {
    this.release()
    this.stream.pause()
    return Promise.resolve()
  }

  status(): SourceStatus {
    return { source: this.name, ended: this.finished }
  }
}
