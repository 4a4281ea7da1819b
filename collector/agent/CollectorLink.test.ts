// Links over real loopback sockets: what TCP can tell without acknowledgements. A collector that
// drains (FIN, reads on) gives "drained" with every byte read; one that destroys its socket over
// unread or in-flight data gives "broken"; the agent's own close handshake confirms; connecting
// fails fast or after the timeout; UDP sends one datagram per record.
import { describe, expect, it } from "@effect/vitest"
import { createSocket } from "node:dgram"
import { createServer, type Server, type Socket } from "node:net"
import type { CollectorAddress } from "./AgentConfig.ts"
import type { QueuedRecord } from "./AgentQueue.ts"
import { LinkClosing, type LinkSettings, MaxDatagramBytes, openLink } from "./CollectorLink.ts"

const settings: LinkSettings = { timeoutMillis: 2_000, delimiter: 0x0a, tls: undefined }

const batch = (texts: ReadonlyArray<string>): Array<QueuedRecord> =>
  texts.map((text) => ({ bytes: Buffer.from(text), origin: undefined, endOffset: 0, enqueuedAt: 0, attempts: 0 }))

/** A TCP collector on loopback that records what it read and lets the test decide how each connection ends. */
const collector = async (onConnection: (socket: Socket, read: () => string) => void = () => {}) => {
  let received = ""
  const sockets: Array<Socket> = []
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.push(socket)
    socket.on("data", (chunk: Buffer) => (received += chunk.toString()))
    socket.on("end", () => socket.end())
    socket.on("error", () => {})
    onConnection(socket, () => received)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as { port: number }).port
  return {
    address: { transport: "tcp", host: "127.0.0.1", port } as CollectorAddress,
    received: () => received,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}

const waitFor = async (condition: () => boolean, timeoutMillis = 3_000) => {
  const deadline = Date.now() + timeoutMillis
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition did not hold")
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe("CollectorLink over TCP", () => {
  it("writes each record followed by the delimiter", async () => {
    const server = await collector()
    const link = await openLink(server.address, settings)
    await link.send(batch(["one", "two"]))
    await waitFor(() => server.received() === "one\ntwo\n")
    link.destroy("done")
    await server.close()
  })

  it("a collector that drains (FIN first, reading on until ours) gives a drained link that read every byte", async () => {
    const server = await collector()
    const link = await openLink(server.address, settings)
    await link.send(batch(["a", "b"]))
    await waitFor(() => server.sockets.length === 1)
    server.sockets[0]!.end()
    expect(await link.outcome).toEqual({ kind: "drained" })
    // The probe after the collector's FIN is an empty record, which collectors skip.
    expect(server.received()).toBe("a\nb\n\n")
    await expect(link.send(batch(["late"]))).rejects.toBeInstanceOf(LinkClosing)
    await server.close()
  })

  it("a collector that destroys its socket over data still in its kernel buffer gives a broken link", async () => {
    const server = await collector((socket) => socket.pause())
    const link = await openLink(server.address, settings)
    // More than Node reads ahead into a paused stream: the rest waits unread in the kernel.
    const write = link.send(batch(["x".repeat(4 * 1024 * 1024)])).catch((cause: Error) => cause)
    await waitFor(() => server.sockets.length === 1)
    await new Promise((resolve) => setTimeout(resolve, 100))
    server.sockets[0]!.destroy()
    expect((await link.outcome).kind).toBe("broken")
    expect(await write).toBeInstanceOf(Error)
    await server.close()
  })

  it("a write the collector does not take within the timeout breaks the link", async () => {
    const server = await collector((socket) => socket.pause())
    const link = await openLink(server.address, { ...settings, timeoutMillis: 300 })
    await expect(link.send(batch(["y".repeat(16 * 1024 * 1024)]))).rejects.toThrow("took longer than 300 ms")
    expect((await link.outcome).kind).toBe("broken")
    await server.close()
  })

  it("a collector that destroys its socket while a write is on its way: the probe after its FIN finds the reset", async () => {
    let sendLate: () => void = () => {}
    const server = await collector((socket) => {
      socket.once("data", () => {
        socket.destroy()
        // Same event loop turn: the link has not yet seen the collector's FIN and writes on.
        sendLate()
      })
    })
    const link = await openLink(server.address, settings)
    sendLate = () => void link.send(batch(["lost in flight"])).catch(() => {})
    await link.send(batch(["read"]))
    const outcome = await link.outcome
    expect(outcome.kind).toBe("broken")
    expect(server.received()).toBe("read\n")
    await server.close()
  })

  it("the agent's close handshake (our FIN answered by the collector's) confirms everything was read", async () => {
    const server = await collector()
    const link = await openLink(server.address, settings)
    await link.send(batch(Array.from({ length: 1_000 }, (_, index) => `record ${index}`)))
    expect(await link.close(2_000)).toBe(true)
    expect(server.received().split("\n").filter(Boolean).length).toBe(1_000)
    await server.close()
  })

  it("the close handshake fails when the collector never answers our FIN", async () => {
    const server = await collector((socket) => socket.removeAllListeners("end"))
    const link = await openLink(server.address, settings)
    await link.send(batch(["x"]))
    expect(await link.close(150)).toBe(false)
    expect((await link.outcome).kind).toBe("broken")
    await server.close()
  })

  it("connecting to a port nobody listens on fails at once, naming the address", async () => {
    const server = await collector()
    await server.close()
    await expect(openLink(server.address, settings)).rejects.toThrow(`cannot connect to tcp://127.0.0.1:${server.address.port}`)
  })

  it("a TLS handshake that never completes fails after the timeout", async () => {
    const server = await collector()
    const startedAt = Date.now()
    await expect(openLink({ ...server.address, transport: "tls" }, { ...settings, timeoutMillis: 200 })).rejects.toThrow("took longer than 200 ms")
    expect(Date.now() - startedAt).toBeLessThan(1_500)
    await server.close()
  })
})

describe("CollectorLink over UDP", () => {
  it("sends one datagram per record, skips records too large for a datagram, and confirms on write", async () => {
    const datagrams: Array<string> = []
    const server = createSocket("udp4")
    server.on("message", (message) => datagrams.push(message.toString()))
    await new Promise<void>((resolve) => server.bind(0, "127.0.0.1", resolve))
    const port = server.address().port
    const link = await openLink({ transport: "udp", host: "127.0.0.1", port }, settings)
    expect(link.confirmsOnWrite).toBe(true)
    const skipped = await link.send(batch(["first", "x".repeat(MaxDatagramBytes + 1), "second"]))
    expect(skipped).toBe(1)
    await waitFor(() => datagrams.length === 2)
    expect(datagrams).toEqual(["first", "second"])
    expect(await link.close(100)).toBe(true)
    server.close()
  })

  it("a port nobody listens on breaks the link once the OS reports it unreachable", async () => {
    const probe = createSocket("udp4")
    await new Promise<void>((resolve) => probe.bind(0, "127.0.0.1", resolve))
    const port = probe.address().port
    probe.close()
    const link = await openLink({ transport: "udp", host: "127.0.0.1", port }, settings)
    await link.send(batch(["into the void"])).catch(() => 0)
    await new Promise((resolve) => setTimeout(resolve, 50))
    await link.send(batch(["again"])).catch(() => 0)
    expect((await link.outcome).kind).toBe("broken")
  })
})
