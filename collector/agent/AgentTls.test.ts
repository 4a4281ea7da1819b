// The agent over TLS against real loopback TLS collectors: the collector certificate must chain
// to the configured CA and carry the address's name (or tls.serverName); two-way authentication
// with a password-protected PKCS#12 identity is accepted, a foreign identity is refused; an empty,
// missing or wrong password and an unprotected container are refused with their own messages.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, Schema } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { PassThrough } from "node:stream"
import { createServer, type TLSSocket } from "node:tls"
import { createCertificateAuthority, issueCertificate, type PemPair, toPkcs12 } from "../tls/CertificateAuthority.ts"
import * as Agent from "./Agent.ts"
import { AgentDocument, type AgentDocumentEncoded } from "./AgentConfig.ts"

const directory = mkdtempSync(join(tmpdir(), "corvus-agent-tls-"))
const file = (name: string, content: string | Buffer) => {
  const path = join(directory, name)
  writeFileSync(path, content)
  return path
}

const corvusCa = createCertificateAuthority({ commonName: "Corvus test CA" })
const foreignCa = createCertificateAuthority({ commonName: "Someone else's CA" })
const collectorIdentity = issueCertificate(corvusCa, { commonName: "collector", altNames: ["127.0.0.1", "localhost"] })
const agentIdentity = issueCertificate(corvusCa, { commonName: "agent-1", client: true })
const files = {
  ca: file("ca.pem", corvusCa.certPem),
  agentPfx: file("agent.p12", toPkcs12(agentIdentity, "agent-secret", [corvusCa.certPem])),
  foreignPfx: file("foreign.p12", toPkcs12(issueCertificate(foreignCa, { commonName: "intruder", client: true }), "foreign-secret")),
  unprotectedPfx: file("unprotected.p12", toPkcs12(agentIdentity, "")),
  passwordFile: file("password.txt", "agent-secret\n")
}

interface TlsCollector {
  readonly port: number
  readonly received: () => Array<string>
  readonly clients: Array<string>
  readonly refusals: Array<string>
  readonly close: () => Promise<void>
}

/** A TLS collector on loopback; `twoWay` demands a client certificate from the Corvus CA. */
const tlsCollector = (identity: PemPair, twoWay: boolean) =>
  Effect.acquireRelease(
    Effect.promise(
      () =>
        new Promise<TlsCollector>((resolve) => {
          let text = ""
          const clients: Array<string> = []
          const refusals: Array<string> = []
          const sockets = new Set<TLSSocket>()
          const server = createServer({ key: identity.keyPem, cert: identity.certPem, ca: corvusCa.certPem, requestCert: twoWay, rejectUnauthorized: twoWay }, (socket) => {
            sockets.add(socket)
            const subject = socket.getPeerCertificate().subject as { CN?: string } | undefined
            clients.push(subject?.CN ?? "anonymous")
            socket.on("data", (chunk: Buffer) => (text += chunk.toString()))
            socket.on("end", () => socket.end())
            socket.on("error", () => {})
            socket.on("close", () => sockets.delete(socket))
          })
          server.on("tlsClientError", (cause) => refusals.push(cause.message))
          server.listen(0, "127.0.0.1", () =>
            resolve({
              port: (server.address() as { port: number }).port,
              received: () => text.split("\n").filter((line) => line !== ""),
              clients,
              refusals,
              close: () =>
                new Promise((done) => {
                  for (const socket of sockets) socket.destroy()
                  server.close(() => done())
                })
            })
          )
        })
    ),
    (collector) => Effect.promise(() => collector.close())
  )

const runAgent = (tls: NonNullable<AgentDocumentEncoded["tls"]>, port: number, password: string | undefined, lines: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const config = Schema.decodeUnknownSync(AgentDocument)({
      collectors: [`tls://127.0.0.1:${port}`],
      sources: [{ stdin: true }],
      maxTransmissionDelay: 0.05,
      timeout: 1,
      tls,
      status: { interval: 0 }
    } satisfies AgentDocumentEncoded)
    const stdin = new PassThrough()
    const logged: Array<string> = []
    const agent = yield* Agent.run(config, password === undefined ? undefined : Redacted.make(password), {
      log: (line) => logged.push(line),
      report: () => {},
      stdin,
      retryDelays: { baseMillis: 50, maxMillis: 100 }
    })
    stdin.write(lines.map((line) => `${line}\n`).join(""))
    return { agent, logged }
  })

const until = <A>(observe: () => A, holds: (value: A) => boolean, timeoutMillis = 5_000) =>
  Effect.promise(async () => {
    const deadline = Date.now() + timeoutMillis
    let value = observe()
    while (!holds(value)) {
      if (Date.now() > deadline) throw new Error(`condition did not hold; last value ${JSON.stringify(value)}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
      value = observe()
    }
    return value
  })

describe("agent over TLS", () => {
  it.scopedLive("two-way authentication: the collector accepts the agent's PKCS#12 identity and receives every record", () =>
    Effect.gen(function* () {
      const collector = yield* tlsCollector(collectorIdentity, true)
      const { agent } = yield* runAgent({ ca: files.ca, pfx: files.agentPfx }, collector.port, "agent-secret", ["one", "two", "three"])
      yield* until(collector.received, (lines) => lines.length === 3)
      expect(collector.received()).toEqual(["one", "two", "three"])
      expect(collector.clients).toEqual(["agent-1"])
      expect(agent.status()).toMatchObject({ state: "connected", server: `tls://127.0.0.1:${collector.port}`, errors: 0 })
    })
  )

  it.scopedLive("the password may come from tls.passwordFile instead of the environment", () =>
    Effect.gen(function* () {
      const collector = yield* tlsCollector(collectorIdentity, true)
      yield* runAgent({ ca: files.ca, pfx: files.agentPfx, passwordFile: files.passwordFile }, collector.port, undefined, ["via file"])
      yield* until(collector.received, (lines) => lines.length === 1)
      expect(collector.clients).toEqual(["agent-1"])
    })
  )

  it.scopedLive("a collector demanding client certificates refuses an identity from a foreign CA: nothing is accepted, nothing is lost", () =>
    Effect.gen(function* () {
      const collector = yield* tlsCollector(collectorIdentity, true)
      const { agent } = yield* runAgent({ ca: files.ca, pfx: files.foreignPfx }, collector.port, "foreign-secret", ["secret event"])
      const status = yield* until(() => agent.status(), (snapshot) => snapshot.errors >= 2, 3_000)
      expect(status.lastError?.message).toMatch(/may have refused the agent's client certificate/)
      expect(collector.received()).toEqual([])
      expect(collector.refusals.length).toBeGreaterThan(0)
      // The record stays queued for a collector that accepts the agent.
      expect(agent.status().queue.records).toBe(1)
    })
  )

  it.scopedLive("the agent refuses a collector whose certificate is not from the configured CA and sends it nothing", () =>
    Effect.gen(function* () {
      const impostor = yield* tlsCollector(issueCertificate(foreignCa, { commonName: "impostor", altNames: ["127.0.0.1"] }), false)
      const { agent } = yield* runAgent({ ca: files.ca }, impostor.port, undefined, ["for corvus only"])
      const status = yield* until(() => agent.status(), (snapshot) => snapshot.errors >= 1)
      expect(status.lastError?.message).toMatch(/certificate/)
      expect(impostor.received()).toEqual([])
      expect(status.queue.records).toBe(1)
    })
  )

  it.scopedLive("the collector certificate must name the address host; tls.serverName names another one to check", () =>
    Effect.gen(function* () {
      const named = yield* tlsCollector(issueCertificate(corvusCa, { commonName: "collector", altNames: ["collector.example"] }), false)
      const refused = yield* runAgent({ ca: files.ca }, named.port, undefined, ["x"])
      const status = yield* until(() => refused.agent.status(), (snapshot) => snapshot.errors >= 1)
      expect(status.lastError?.message).toMatch(/does not match certificate's altnames/)
      yield* runAgent({ ca: files.ca, serverName: "collector.example" }, named.port, undefined, ["named"])
      yield* until(named.received, (lines) => lines.includes("named"))
    })
  )
})

describe("agent PKCS#12 identity refusals", () => {
  const refusal = (tls: NonNullable<AgentDocumentEncoded["tls"]>, password: string | undefined) =>
    Effect.gen(function* () {
      const error = yield* runAgent(tls, 1, password, []).pipe(Effect.flip)
      return error.message
    }).pipe(Effect.scoped)

  it.live("an empty or missing password is refused with a message that says how to give one", () =>
    Effect.gen(function* () {
      expect(yield* refusal({ ca: files.ca, pfx: files.agentPfx }, "")).toMatch(/needs its password.*CORVUS_AGENT_PFX_PASSWORD.*An empty password is refused/)
      expect(yield* refusal({ ca: files.ca, pfx: files.agentPfx }, undefined)).toMatch(/needs its password/)
    })
  )

  it.live("a wrong password has its own message", () =>
    Effect.gen(function* () {
      expect(yield* refusal({ ca: files.ca, pfx: files.agentPfx }, "not-the-password")).toMatch(/wrong password for the PKCS#12 container/)
    })
  )

  it.live("a container without a password is refused, whatever password is given", () =>
    Effect.gen(function* () {
      expect(yield* refusal({ ca: files.ca, pfx: files.unprotectedPfx }, "anything")).toMatch(/has no password/)
    })
  )

  it.live("a CA file that is not a certificate is refused", () =>
    Effect.gen(function* () {
      expect(yield* refusal({ ca: files.passwordFile }, undefined)).toMatch(/is not a PEM certificate/)
    })
  )
})
