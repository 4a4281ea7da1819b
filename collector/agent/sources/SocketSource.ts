// A local socket programs write records to: a Unix domain socket or a TCP listener on a loopback
// address. Each connection is its own stream of records; backpressure pauses every connection,
// so writers block in the kernel's flow control instead of losing records.
import { lstat, unlink } from "node:fs/promises"
import { createServer, type Server, type Socket } from "node:net"
import { formatListenAddress, type ListenAddress } from "../AgentConfig.ts"
import type { AgentQueue } from "../AgentQueue.ts"
import type { SourceStatus } from "../AgentStatus.ts"
import { RecordSplitter } from "../RecordSplitter.ts"
import type { AgentSource, SourceContext } from "./AgentSource.ts"

export class SocketSource implements AgentSource {
  readonly ended: Promise<void> = new Promise(() => {})
  private readonly sockets = new Set<Socket>()
  private paused = false
  private connections = 0

  private constructor(
    private readonly address: ListenAddress,
    private readonly server: Server,
    readonly port: number
  ) {}

  /** Listens on `address`; a stale Unix socket file left by a previous run is replaced. */
  static async listen(address: ListenAddress, queue: AgentQueue, context: SourceContext): Promise<SocketSource> {
    let source: SocketSource | undefined
    const server = createServer((socket) => source?.accept(socket, queue, context))
    if (address.kind === "unix") {
      const existing = await lstat(address.path).catch(() => undefined)
      if (existing?.isSocket() === true) await unlink(address.path)
      else if (existing !== undefined) throw new Error(`${address.path} exists and is not a socket`)
    }
    const port = await new Promise<number>((resolve, reject) => {
      server.once("error", (cause) => reject(new Error(`cannot listen on ${formatListenAddress(address)}: ${cause.message}`)))
      const listening = () => {
        const bound = server.address()
        resolve(typeof bound === "object" && bound !== null ? bound.port : 0)
      }
      if (address.kind === "unix") server.listen(address.path, listening)
      else server.listen(address.port, address.host, listening)
    })
    source = new SocketSource(address, server, port)
    queue.addFlowControl(source)
    return source
  }

  pause(): void {
    this.paused = true
    for (const socket of this.sockets) socket.pause()
  }

  resume(): void {
    this.paused = false
    for (const socket of this.sockets) socket.resume()
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      for (const socket of this.sockets) socket.destroy()
      this.server.close(() => resolve())
    })
  }

  status(): SourceStatus {
    return { source: "listen", address: formatListenAddress(this.address), connections: this.sockets.size, accepted: this.connections }
  }

  private accept(socket: Socket, queue: AgentQueue, context: SourceContext): void {
    this.sockets.add(socket)
    this.connections++
    if (this.paused) socket.pause()
    const splitter = new RecordSplitter(context.delimiter, context.maxRecordBytes, {
      record: (bytes) => queue.offer(bytes, undefined, 0),
      oversize: (bytes) => context.oversize(bytes)
    })
    socket.on("data", (chunk: Buffer) => splitter.push(chunk))
    socket.on("end", () => splitter.end())
    socket.on("error", (cause) => context.log(`${formatListenAddress(this.address)}: ${cause.message}`))
    socket.on("close", () => this.sockets.delete(socket))
  }
}
