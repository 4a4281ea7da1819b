// Turns a connector's TLS setting and the installation CA into Node TLS server options, checking
// every file up front so a bad setting fails the connector's start with a clear message instead
// of failing each handshake later.
import { X509Certificate } from "node:crypto"
import { readFileSync } from "node:fs"
import type { TlsOptions } from "node:tls"
import { Effect, Redacted } from "effect"
import type { ConnectorTls } from "../../model/Connector.ts"
import type { PemPair } from "./CertificateAuthority.ts"
import * as InstallationCa from "./InstallationCa.ts"
import * as Pkcs12 from "./Pkcs12.ts"
import { TlsConfigInvalid } from "./TlsConfigInvalid.ts"

/** Where the installation's Corvus CA lives (see InstallationCa). */
export interface InstallationTls {
  readonly caDir: string
}

/** TLS below 1.2 has known weaknesses and no client we support needs it. */
const MinVersion = "TLSv1.2"
const CertificateBlocks = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

const readFile = (path: string, what: string): Effect.Effect<Buffer, TlsConfigInvalid> =>
  Effect.try({
    try: () => readFileSync(path),
    catch: (cause) =>
      new TlsConfigInvalid({
        reason: "Unreadable",
        message: `cannot read ${what} ${path}: ${cause instanceof Error ? cause.message : String(cause)}`,
        path,
        cause
      })
  })

const missingCaDirectory = new TlsConfigInvalid({ reason: "CaStoreUnavailable", message: "TLS needs the installation CA, but no CA directory is configured" })

const fromStore = <A>(caDir: string, read: () => A): Effect.Effect<A, TlsConfigInvalid> =>
  Effect.try({
    try: read,
    catch: (cause) =>
      cause instanceof TlsConfigInvalid
        ? cause
        : new TlsConfigInvalid({ reason: "CaStoreUnavailable", message: `cannot use the CA directory ${caDir}`, path: caDir, cause })
  })

/** The installation CA, refused once it has expired: every certificate it issued would be refused too. */
const installationCa = (installation: InstallationTls | undefined, now: Date): Effect.Effect<PemPair, TlsConfigInvalid> =>
  Effect.gen(function* () {
    if (installation === undefined) return yield* missingCaDirectory
    const ca = yield* fromStore(installation.caDir, () => InstallationCa.loadOrCreate(installation.caDir))
    yield* Pkcs12.checkValidity(new X509Certificate(ca.certPem), `the installation CA in ${installation.caDir}`, now, installation.caDir)
    return ca
  })

/** The node's server certificate issued by the installation CA. */
const installationIdentity = (installation: InstallationTls | undefined, now: Date): Effect.Effect<PemPair, TlsConfigInvalid> =>
  Effect.gen(function* () {
    if (installation === undefined) return yield* missingCaDirectory
    yield* installationCa(installation, now)
    return yield* fromStore(installation.caDir, () => InstallationCa.nodeIdentity(installation.caDir, { now }))
  })

/** The CA certificates of a PEM file (a bundle may hold several), each checked for validity. */
const readCaFile = (path: string, now: Date): Effect.Effect<{ readonly pem: string; readonly certificates: ReadonlyArray<X509Certificate> }, TlsConfigInvalid> =>
  Effect.gen(function* () {
    const pem = (yield* readFile(path, "the CA file")).toString("utf8")
    const blocks = pem.match(CertificateBlocks) ?? []
    const certificates = yield* Effect.try({
      try: () => blocks.map((block) => new X509Certificate(block)),
      catch: (cause) => new TlsConfigInvalid({ reason: "Corrupt", message: `the CA file ${path} holds a certificate that does not parse`, path, cause })
    })
    if (certificates.length === 0)
      return yield* new TlsConfigInvalid({ reason: "Corrupt", message: `the CA file ${path} holds no PEM certificate`, path })
    for (const certificate of certificates) yield* Pkcs12.checkValidity(certificate, `the CA certificate in ${path}`, now, path)
    return { pem, certificates }
  })

const subjectLine = (certificate: X509Certificate): string => certificate.subject.replace(/\n/g, ", ")

/** Refuses a certificate that none of `authorities` issued. */
const checkIssuedBy = (
  certificate: X509Certificate,
  authorities: ReadonlyArray<X509Certificate>,
  what: string,
  caDescription: string,
  path: string
): Effect.Effect<void, TlsConfigInvalid> =>
  authorities.some((authority) => certificate.checkIssued(authority) && certificate.verify(authority.publicKey))
    ? Effect.void
    : Effect.fail(
        new TlsConfigInvalid({
          reason: "ForeignCertificate",
          message: `${what} (${subjectLine(certificate)}) is a foreign certificate: it was not issued by ${caDescription} (its issuer is ${certificate.issuer.replace(/\n/g, ", ")})`,
          path
        })
      )

const openContainer = (pfxPath: string, password: Redacted.Redacted<string>, now: Date) =>
  Effect.flatMap(readFile(pfxPath, "the PKCS#12 file"), (pfx) => Pkcs12.open(pfx, Redacted.value(password), { path: pfxPath, now }))

/**
 * Node TLS server options for `setting`, or undefined when TLS is disabled. Fails with
 * TlsConfigInvalid when a file is missing, corrupt, unprotected, locked with another password,
 * outside its validity period, or not issued by the CA it must chain to.
 */
export const serverOptions = (
  setting: ConnectorTls,
  installation: InstallationTls | undefined,
  now: Date = new Date()
): Effect.Effect<TlsOptions | undefined, TlsConfigInvalid> =>
  Effect.gen(function* () {
    switch (setting.mode) {
      case "disabled":
        return undefined
      case "enabled":
      case "verified": {
        // Same server side for both: `verified` only tells clients to check us against the Corvus CA.
        const identity = yield* installationIdentity(installation, now)
        return { cert: identity.certPem, key: identity.keyPem, minVersion: MinVersion }
      }
      case "custom": {
        const identity = yield* openContainer(setting.pfxPath, setting.password, now)
        if (setting.caPath !== undefined) {
          const ca = yield* readCaFile(setting.caPath, now)
          yield* checkIssuedBy(identity.certificate, ca.certificates, `the certificate in ${setting.pfxPath}`, `the CA in ${setting.caPath}`, setting.pfxPath)
        }
        return { pfx: identity.pfx, passphrase: identity.passphrase, minVersion: MinVersion }
      }
      case "mutual": {
        const clientCa =
          setting.caPath === undefined
            ? (yield* installationCa(installation, now)).certPem
            : (yield* readCaFile(setting.caPath, now)).pem
        const identity =
          setting.pfxPath !== undefined && setting.password !== undefined
            ? yield* Effect.map(openContainer(setting.pfxPath, setting.password, now), (opened) => ({ pfx: opened.pfx, passphrase: opened.passphrase }))
            : yield* Effect.map(installationIdentity(installation, now), (pair) => ({ cert: pair.certPem, key: pair.keyPem }))
        // The handshake itself refuses a client without a certificate or with one the CA did not issue.
        return { ...identity, ca: clientCa, requestCert: true, rejectUnauthorized: true, minVersion: MinVersion }
      }
    }
  })
