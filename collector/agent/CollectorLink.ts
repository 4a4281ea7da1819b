// One connection from the agent to one collector address: plain TCP, TCP with TLS (server
// certificate checked against the configured CA, optional client identity), or UDP.
//
// The collector's delimited protocol has no acknowledgements, so the link reads what TCP itself
// can tell (see Shipper.ts for how the agent uses it):
// - we close (FIN) and the collector's FIN follows: Node's collector emits `end` only after every
//   byte before our FIN was read, so everything sent on the link was read ("drained");
// - the collector closes first: we stop writing, wait a few round trips, then write a lone
//   delimiter (an empty record, which collectors skip). A collector still reading takes it; one
//   that destroyed its socket has answered our last data with a reset, so the write fails and the
//   link is "broken" (data may have been lost) instead of "drained";
// - an error, a reset or a timeout is "broken".
import { createSocket, type Socket as DatagramSocket } from "node:dgram"
import { connect as connectTcp, isIP, type Socket } from "node:net"
import { checkServerIdentity, connect as connectTls, type PeerCertificate } from "node:tls"
import type { CollectorAddress } from "./AgentConfig.ts"
import { formatCollectorAddress } from "./AgentConfig.ts"
import type { QueuedRecord } from "./AgentQueue.ts"

export type LinkOutcome = { readonly kind: "drained" } | { readonly kind: "broken"; readonly reason: string }

/** The link is closing or closed: the batch was not written and must go elsewhere. */
export class LinkClosing extends Error {}

export interface CollectorLink {
  readonly address: CollectorAddress
  /** UDP: a record counts as delivered once the OS took the datagram (nothing better can be known). */
  readonly confirmsOnWrite: boolean
  /** Settles once: the collector drained the link, or the link broke (or was destroyed). */
  readonly outcome: Promise<LinkOutcome>
  /** The collector began closing: nothing more may be sent on this link. */
  readonly closing: boolean
  /** Writes the records, each followed by the delimiter; resolves with the number of records skipped (too large for a datagram). */
  send(records: ReadonlyArray<QueuedRecord>): Promise<number>
  /** The agent's close handshake; resolves to whether the collector confirmed reading everything. */
  close(timeoutMillis: number): Promise<boolean>
  destroy(reason: string): void
}

export interface TlsClientSettings {
  /** PEM of the CA the collector certificate must chain to; Node's default roots when absent. */
  readonly ca: string | undefined
  readonly pfx: Buffer | undefined
  readonly passphrase: string | undefined
  /** The name the certificate must carry; the address host when absent. */
  readonly serverName: string | undefined
}

export interface LinkSettings {
  readonly timeoutMillis: number
  readonly delimiter: number
  readonly tls: TlsClientSettings | undefined
}

/** The largest UDP payload over IPv4. */
export const MaxDatagramBytes = 65_507
/** The shortest wait for a reset after the collector's FIN; longer on slow links (a multiple of the handshake time). */
const MinLingerMillis = 200
const KeepAliveMillis = 15_000

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/** Joins records into one buffer with a delimiter after each: one write per batch. */
const frame = (records: ReadonlyArray<QueuedRecord>, delimiter: number): Buffer => {
  let size = records.length
  for (const record of records) size += record.bytes.length
  const payload = Buffer.allocUnsafe(size)
  let at = 0
  for (const record of records) {
    at += record.bytes.copy(payload, at)
    payload[at++] = delimiter
  }
  return payload
}

class TcpLink implements CollectorLink {
  readonly confirmsOnWrite = false
  readonly outcome: Promise<LinkOutcome>
  closing = false
  private resolveOutcome!: (outcome: LinkOutcome) => void
  private settled = false
  private agentClosing = false
  private cleanClose = false
  private outstandingWrites = 0
  private flushedWaiters: Array<() => void> = []
  private readonly pendingSends = new Set<(cause: Error) => void>()
  private closeTimer: ReturnType<typeof setTimeout> | undefined

  constructor(
    readonly address: CollectorAddress,
    private readonly socket: Socket,
    private readonly settings: LinkSettings,
    private readonly lingerMillis: number
  ) {
    this.outcome = new Promise((resolve) => (this.resolveOutcome = resolve))
    // Collectors send nothing; reading is what lets their FIN and resets surface.
    socket.on("data", () => {})
    socket.on("end", () => void this.collectorEnded())
    socket.on("error", (cause) => this.settle({ kind: "broken", reason: describe(cause) }))
    socket.on("close", (hadError) =>
      this.settle(this.cleanClose && !hadError ? { kind: "drained" } : { kind: "broken", reason: "the connection closed unexpectedly" })
    )
    socket.setKeepAlive(true, Math.min(KeepAliveMillis, settings.timeoutMillis))
    socket.setNoDelay(true)
  }

  send(records: ReadonlyArray<QueuedRecord>): Promise<number> {
    if (this.settled || this.closing || this.agentClosing) return Promise.reject(new LinkClosing("the link is closing"))
    const payload = frame(records, this.settings.delimiter)
    this.outstandingWrites++
    return new Promise<number>((resolve, reject) => {
      const fail = (cause: Error) => {
        clearTimeout(timer)
        this.pendingSends.delete(fail)
        reject(cause)
      }
      this.pendingSends.add(fail)
      const timer = setTimeout(() => {
        const reason = `a write to ${formatCollectorAddress(this.address)} took longer than ${this.settings.timeoutMillis} ms`
        fail(new Error(reason))
        this.destroy(reason)
      }, this.settings.timeoutMillis)
      this.socket.write(payload, (error) => {
        this.outstandingWrites--
        if (this.outstandingWrites === 0) for (const waiter of this.flushedWaiters.splice(0)) waiter()
        if (error !== undefined && error !== null) return fail(error)
        clearTimeout(timer)
        this.pendingSends.delete(fail)
        resolve(0)
      })
    })
  }

  async close(timeoutMillis: number): Promise<boolean> {
    if (!this.settled && !this.closing && !this.agentClosing) {
      this.agentClosing = true
      await this.flushed()
      if (!this.settled) {
        this.socket.end()
        this.armCloseTimer(timeoutMillis)
      }
    }
    return (await this.outcome).kind === "drained"
  }

  destroy(reason: string): void {
    this.settle({ kind: "broken", reason })
  }

  private async collectorEnded(): Promise<void> {
    if (this.agentClosing) {
      // Our FIN came first: the collector's FIN says it read everything before ours.
      this.cleanClose = true
      return
    }
    this.closing = true
    await this.flushed()
    // A collector that destroyed its socket answers data it did not read with a reset within a round trip.
    await new Promise((resolve) => setTimeout(resolve, this.lingerMillis))
    if (this.settled) return
    this.socket.write(Buffer.of(this.settings.delimiter), (error) => {
      if (error !== undefined && error !== null) return this.settle({ kind: "broken", reason: `the collector closed without reading everything (${describe(error)})` })
      if (this.settled) return
      this.cleanClose = true
      this.socket.end()
      this.armCloseTimer(this.settings.timeoutMillis)
    })
  }

  private armCloseTimer(timeoutMillis: number): void {
    clearTimeout(this.closeTimer)
    this.closeTimer = setTimeout(() => this.destroy(`the collector did not close within ${timeoutMillis} ms`), timeoutMillis)
  }

  private flushed(): Promise<void> {
    if (this.outstandingWrites === 0) return Promise.resolve()
    return new Promise((resolve) => this.flushedWaiters.push(resolve))
  }

  private settle(outcome: LinkOutcome): void {
    if (this.settled) return
    this.settled = true
    this.closing = true
    clearTimeout(this.closeTimer)
    if (outcome.kind === "broken") {
      this.socket.destroy()
      const cause = new Error(outcome.reason)
      for (const fail of [...this.pendingSends]) fail(cause)
    }
    for (const waiter of this.flushedWaiters.splice(0)) waiter()
    this.resolveOutcome(outcome)
  }
}

class UdpLink implements CollectorLink {
  readonly confirmsOnWrite = true
  readonly outcome: Promise<LinkOutcome>
  closing = false
  private resolveOutcome!: (outcome: LinkOutcome) => void
  private settled = false

  constructor(
    readonly address: CollectorAddress,
    private readonly socket: DatagramSocket
  ) {
    this.outcome = new Promise((resolve) => (this.resolveOutcome = resolve))
    // On a connected socket the OS reports an ICMP "port unreachable" as ECONNREFUSED on a later send.
    socket.on("error", (cause) => this.settle({ kind: "broken", reason: describe(cause) }))
  }

  send(records: ReadonlyArray<QueuedRecord>): Promise<number> {
    if (this.settled) return Promise.reject(new LinkClosing("the link is closed"))
    let skipped = 0
    let waiting = 0
    return new Promise<number>((resolve, reject) => {
      let failed = false
      const done = (error: Error | null) => {
        if (failed) return
        if (error !== null) {
          failed = true
          this.settle({ kind: "broken", reason: describe(error) })
          return reject(error)
        }
        if (--waiting === 0) resolve(skipped)
      }
      for (const record of records) {
        if (record.bytes.length > MaxDatagramBytes) {
          skipped++
          continue
        }
        waiting++
        this.socket.send(record.bytes, done)
      }
      if (waiting === 0) resolve(skipped)
    })
  }

  close(): Promise<boolean> {
    this.settle({ kind: "drained" })
    return Promise.resolve(true)
  }

  destroy(reason: string): void {
    this.settle({ kind: "broken", reason })
  }

  private settle(outcome: LinkOutcome): void {
    if (this.settled) return
    this.settled = true
    this.closing = true
    try {
      this.socket.close()
    } catch {
      // already closed
    }
    this.resolveOutcome(outcome)
  }
}

const lingerFor = (settings: LinkSettings, handshakeMillis: number): number => Math.min(settings.timeoutMillis, Math.max(MinLingerMillis, 4 * handshakeMillis))

const connectStream = (address: CollectorAddress, settings: LinkSettings): Promise<{ socket: Socket; handshakeMillis: number }> =>
  new Promise((resolve, reject) => {
    const startedAt = Date.now()
    const where = formatCollectorAddress(address)
    const tls = settings.tls
    // allowHalfOpen: the collector's FIN must not close our side before we decide what it means.
    // (tls.connect honours it like net.connect; its type just does not list it.)
    const halfOpen: { allowHalfOpen: boolean } = { allowHalfOpen: true }
    const socket: Socket =
      address.transport === "tls"
        ? connectTls({
            ...halfOpen,
            host: address.host,
            port: address.port,
            rejectUnauthorized: true,
            minVersion: "TLSv1.2",
            ...(tls?.ca !== undefined ? { ca: tls.ca } : {}),
            ...(tls?.pfx !== undefined ? { pfx: tls.pfx, passphrase: tls.passphrase ?? "" } : {}),
            // SNI takes host names only; the identity check below covers IP addresses.
            ...(isIP(tls?.serverName ?? address.host) === 0 ? { servername: tls?.serverName ?? address.host } : {}),
            checkServerIdentity: (_host: string, certificate: PeerCertificate) => checkServerIdentity(tls?.serverName ?? address.host, certificate)
          })
        : connectTcp({ ...halfOpen, host: address.host, port: address.port })
    let settled = false
    const timer = setTimeout(() => fail(new Error(`took longer than ${settings.timeoutMillis} ms`), "connecting to"), settings.timeoutMillis)
    const fail = (cause: Error, what = "cannot connect to") => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      reject(new Error(what === "connecting to" ? `connecting to ${where} ${cause.message}` : `${what} ${where}: ${cause.message}`))
    }
    const refused = () => fail(new Error("the collector closed the connection after the TLS handshake; it may have refused the agent's client certificate"))
    const succeed = (handshakeMillis: number) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.off("error", fail)
      socket.off("end", refused)
      socket.off("close", refused)
      resolve({ socket, handshakeMillis })
    }
    socket.once("error", fail)
    if (address.transport === "tcp") {
      socket.once("connect", () => succeed(Date.now() - startedAt))
      return
    }
    socket.once("secureConnect", () => {
      const handshakeMillis = Date.now() - startedAt
      // With TLS 1.3 the collector checks our certificate after our side of the handshake is
      // done and refuses by closing: a close without an error that would look like a drained
      // link and swallow the first batch. Nothing is sent until that check has had time to happen.
      socket.on("data", () => {})
      socket.once("end", refused)
      socket.once("close", refused)
      setTimeout(() => succeed(handshakeMillis), lingerFor(settings, handshakeMillis))
    })
  })

const connectDatagram = (address: CollectorAddress, settings: LinkSettings): Promise<DatagramSocket> =>
  new Promise((resolve, reject) => {
    const socket = createSocket(isIP(address.host) === 6 ? "udp6" : "udp4")
    const timer = setTimeout(() => {
      socket.close()
      reject(new Error(`connecting to ${formatCollectorAddress(address)} took longer than ${settings.timeoutMillis} ms`))
    }, settings.timeoutMillis)
    const fail = (cause: Error) => {
      clearTimeout(timer)
      socket.close()
      reject(new Error(`cannot connect to ${formatCollectorAddress(address)}: ${cause.message}`))
    }
    socket.once("error", fail)
    socket.connect(address.port, address.host, () => {
      clearTimeout(timer)
      socket.off("error", fail)
      resolve(socket)
    })
  })

/** Opens a link to `address`, failing when it cannot be established within the timeout. */
export const openLink = async (address: CollectorAddress, settings: LinkSettings): Promise<CollectorLink> => {
  if (address.transport === "udp") return new UdpLink(address, await connectDatagram(address, settings))
  const { socket, handshakeMillis } = await connectStream(address, settings)
  return new TcpLink(address, socket, settings, lingerFor(settings, handshakeMillis))
}
