// The certificate authority: what it issues is accepted by Node's own X.509 and TLS stack
// (chain, SANs, key usage, validity, PKCS#12 loading) and a real handshake verifies against it.
import { describe, expect, it } from "@effect/vitest"
import { X509Certificate, createPrivateKey } from "node:crypto"
import { connect, createSecureContext, createServer, type ConnectionOptions, type TlsOptions, type TLSSocket } from "node:tls"
import { createCertificateAuthority, issueCertificate, toPkcs12 } from "./CertificateAuthority.ts"

const ca = createCertificateAuthority({ commonName: "Corvus test CA" })
const server = issueCertificate(ca, { commonName: "collector", altNames: ["127.0.0.1", "::1", "localhost"] })
const client = issueCertificate(ca, { commonName: "agent-1", client: true })

/** Opens a TLS server with `options`, connects a client with `clientOptions`, returns what each side saw. */
const handshake = (
  serverOptions: TlsOptions,
  clientOptions: ConnectionOptions
): Promise<{ readonly authorized: boolean; readonly peerCommonName: string | undefined; readonly serverAuthorized: boolean }> =>
  new Promise((resolve, reject) => {
    let seenByServer: { authorized: boolean; peerCommonName: string | undefined } | undefined
    const tlsServer = createServer(serverOptions, (socket: TLSSocket) => {
      const peer = socket.getPeerCertificate()
      seenByServer = { authorized: socket.authorized, peerCommonName: typeof peer.subject?.CN === "string" ? peer.subject.CN : undefined }
      socket.end("hello")
      tlsServer.close()
    })
    tlsServer.listen(0, "127.0.0.1", () => {
      const address = tlsServer.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      const socket = connect({ host: "127.0.0.1", port, ...clientOptions })
      socket.on("error", (cause) => {
        tlsServer.close()
        reject(cause)
      })
      socket.on("data", () => {
        socket.end()
        if (seenByServer !== undefined) resolve({ ...seenByServer, serverAuthorized: socket.authorized })
      })
    })
  })

describe("CertificateAuthority", () => {
  it("creates a self-signed CA certificate with a 2048-bit RSA key that Node parses as a CA", () => {
    const certificate = new X509Certificate(ca.certPem)
    expect(certificate.ca).toBe(true)
    expect(certificate.subject).toContain("CN=Corvus test CA")
    expect(certificate.checkIssued(certificate)).toBe(true)
    expect(certificate.verify(certificate.publicKey)).toBe(true)
    expect(createPrivateKey(ca.keyPem).asymmetricKeyDetails?.modulusLength).toBe(2048)
    expect(certificate.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048)
  })

  it("issues a server certificate signed by the CA whose IP and DNS SANs Node matches", () => {
    const certificate = new X509Certificate(server.certPem)
    const authority = new X509Certificate(ca.certPem)
    expect(certificate.ca).toBe(false)
    expect(certificate.checkIssued(authority)).toBe(true)
    expect(certificate.verify(authority.publicKey)).toBe(true)
    expect(certificate.checkIP("127.0.0.1")).toBe("127.0.0.1")
    expect(certificate.checkIP("::1")).toBeDefined()
    expect(certificate.checkHost("localhost")).toBe("localhost")
    expect(certificate.checkHost("example.org")).toBeUndefined()
    expect(certificate.subjectAltName).toContain("IP Address:127.0.0.1")
    expect(certificate.subjectAltName).toContain("DNS:localhost")
    expect(certificate.keyUsage).toContain("1.3.6.1.5.5.7.3.1")
    expect(certificate.checkPrivateKey(createPrivateKey(server.keyPem))).toBe(true)
  })

  it("marks client certificates for client authentication and honours explicit validity dates", () => {
    expect(new X509Certificate(client.certPem).keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"])
    const notBefore = new Date("2020-01-01T00:00:00Z")
    const notAfter = new Date("2021-01-01T00:00:00Z")
    const old = new X509Certificate(issueCertificate(ca, { commonName: "old", notBefore, notAfter }).certPem)
    expect(new Date(old.validFrom).getTime()).toBe(notBefore.getTime())
    expect(new Date(old.validTo).getTime()).toBe(notAfter.getTime())
  })

  it("gives every certificate a distinct positive serial number", () => {
    const serials = [ca, server, client].map((pair) => new X509Certificate(pair.certPem).serialNumber)
    expect(new Set(serials).size).toBe(3)
    for (const serial of serials) expect(Number.parseInt(serial.slice(0, 2), 16)).toBeLessThan(0x80)
  })

  it("packs a PKCS#12 container that Node's TLS loads with the password and refuses with a wrong one", () => {
    const pfx = toPkcs12(client, "s3cret", [ca.certPem])
    expect(() => createSecureContext({ pfx, passphrase: "s3cret" })).not.toThrow()
    expect(() => createSecureContext({ pfx, passphrase: "wrong" })).toThrow(/mac verify failure/)
  })

  it("a client verifying against the CA completes a handshake with the issued server certificate by IP", async () => {
    const seen = await handshake({ cert: server.certPem, key: server.keyPem }, { ca: ca.certPem, rejectUnauthorized: true })
    expect(seen).toEqual({ authorized: false, peerCommonName: undefined, serverAuthorized: true })
  })

  it("a client presenting its PKCS#12 identity is authorized by a server that requires CA-issued client certificates", async () => {
    const seen = await handshake(
      { cert: server.certPem, key: server.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true },
      { ca: ca.certPem, pfx: toPkcs12(client, "pw", [ca.certPem]), passphrase: "pw", servername: "localhost" }
    )
    expect(seen).toEqual({ authorized: true, peerCommonName: "agent-1", serverAuthorized: true })
  })

  it("a client refuses a server certificate from another CA", async () => {
    const foreign = createCertificateAuthority({ commonName: "Someone else" })
    const foreignServer = issueCertificate(foreign, { commonName: "impostor", altNames: ["127.0.0.1"] })
    await expect(handshake({ cert: foreignServer.certPem, key: foreignServer.keyPem }, { ca: ca.certPem })).rejects.toThrow(
      /self[- ]signed|unable to (verify|get local issuer)/i
    )
  })
})
