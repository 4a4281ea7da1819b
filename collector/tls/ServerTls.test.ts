// Server TLS options from a connector's setting: what each mode yields, and one distinct, clear
// TlsConfigInvalid for each way a PKCS#12 container or CA file can be unusable.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { execFileSync } from "node:child_process"
import { createSecureContext } from "node:tls"
import forge from "node-forge"
import { afterAll } from "vitest"
import type { ConnectorTls } from "../../model/Connector.ts"
import { makeTestPki, PfxPassword } from "../connectors/testing/TestPki.ts"
import { issueCertificate, toPkcs12 } from "./CertificateAuthority.ts"
import * as ServerTls from "./ServerTls.ts"
import type { TlsConfigInvalid } from "./TlsConfigInvalid.ts"

const pki = makeTestPki()
afterAll(() => pki.remove())
const installation = { caDir: pki.caDir }

const custom = (pfxPath: string, password = PfxPassword, caPath?: string): ConnectorTls => ({
  mode: "custom",
  pfxPath,
  password: Redacted.make(password),
  ...(caPath === undefined ? {} : { caPath })
})

/** The failure of resolving `setting`, which must fail. */
const failure = (setting: ConnectorTls, now?: Date) =>
  ServerTls.serverOptions(setting, installation, now).pipe(
    Effect.flip,
    Effect.map((error: TlsConfigInvalid) => ({ reason: error.reason, message: error.message }))
  )

const identityPfx = (name: string, options: Parameters<typeof issueCertificate>[1], password = PfxPassword) =>
  pki.write(name, toPkcs12(issueCertificate(pki.customerCa, options), password))

describe("ServerTls modes", () => {
  it.effect("disabled yields no TLS options", () =>
    Effect.gen(function* () {
      expect(yield* ServerTls.serverOptions({ mode: "disabled" }, undefined)).toBeUndefined()
    })
  )

  it.effect("enabled and verified serve the node certificate issued by the installation CA and check no client", () =>
    Effect.gen(function* () {
      for (const mode of ["enabled", "verified"] as const) {
        const options = yield* ServerTls.serverOptions({ mode }, installation)
        expect(options?.cert).toContain("BEGIN CERTIFICATE")
        expect(options?.requestCert).toBeUndefined()
        expect(() => createSecureContext(options)).not.toThrow()
      }
    })
  )

  it.effect("custom loads the password-protected container and checks it against caPath when given", () =>
    Effect.gen(function* () {
      const options = yield* ServerTls.serverOptions(custom(pki.customServerPfxPath, PfxPassword, pki.customerCaPath), installation)
      expect(options?.passphrase).toBe(PfxPassword)
      expect(() => createSecureContext(options)).not.toThrow()
    })
  )

  it.effect("mutual requires client certificates from the Corvus CA by default, or from caPath", () =>
    Effect.gen(function* () {
      const byDefault = yield* ServerTls.serverOptions({ mode: "mutual" }, installation)
      expect(byDefault).toMatchObject({ requestCert: true, rejectUnauthorized: true, ca: pki.corvusCa.certPem })
      const withFiles = yield* ServerTls.serverOptions(
        { mode: "mutual", caPath: pki.customerCaPath, pfxPath: pki.customServerPfxPath, password: Redacted.make(PfxPassword) },
        installation
      )
      expect(withFiles).toMatchObject({ requestCert: true, rejectUnauthorized: true, passphrase: PfxPassword })
      expect(withFiles?.ca).toContain("BEGIN CERTIFICATE")
    })
  )

  it.effect("modes that need the installation CA fail clearly without a CA directory", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(ServerTls.serverOptions({ mode: "enabled" }, undefined))
      expect(error).toMatchObject({ reason: "CaStoreUnavailable", message: "TLS needs the installation CA, but no CA directory is configured" })
    })
  )
})

/** Exports an identity with the openssl command line, as operators do. */
const opensslExport = (name: string, password: string, legacy: boolean): string => {
  const pair = issueCertificate(pki.customerCa, { commonName: `openssl-${name}`, altNames: ["127.0.0.1"] })
  const certPath = pki.write(`${name}.crt`, pair.certPem)
  const keyPath = pki.write(`${name}.key`, pair.keyPem)
  const outPath = `${pki.dir}/${name}.p12`
  execFileSync("openssl", ["pkcs12", "-export", "-in", certPath, "-inkey", keyPath, "-out", outPath, "-passout", `pass:${password}`, ...(legacy ? ["-legacy"] : [])], {
    stdio: "ignore"
  })
  return outPath
}
// Needs the openssl command (Debian has it); without it these fail, they do not skip.
describe("ServerTls with containers exported by the openssl command line", () => {
  it.effect("loads OpenSSL 3's default container (AES-256, PBKDF2, SHA-256 MAC)", () =>
    Effect.gen(function* () {
      const path = opensslExport("modern", PfxPassword, false)
      const options = yield* ServerTls.serverOptions(custom(path, PfxPassword, pki.customerCaPath), installation)
      expect(() => createSecureContext(options)).not.toThrow()
    })
  )

  it.effect("refuses an openssl container exported with an empty password", () =>
    Effect.gen(function* () {
      const path = opensslExport("empty-password", "", false)
      expect((yield* failure(custom(path))).reason).toBe("EmptyPassword")
    })
  )

  it.effect("explains a legacy (RC2-40) container that OpenSSL 3 no longer reads", () =>
    Effect.gen(function* () {
      const path = opensslExport("legacy", PfxPassword, true)
      expect(yield* failure(custom(path))).toEqual({
        reason: "UnsupportedEncryption",
        message: `the PKCS#12 container ${path} uses a legacy encryption (such as RC2-40) that OpenSSL 3 no longer reads; export it again with AES-256 (openssl pkcs12 -export without -legacy)`
      })
    })
  )
})

describe("ServerTls refuses unusable files, each with its own message", () => {
  it.effect("a PKCS#12 container without a password", () =>
    Effect.gen(function* () {
      const path = pki.write("no-password.p12", toPkcs12(issueCertificate(pki.customerCa, { commonName: "x" }), ""))
      expect(yield* failure(custom(path))).toEqual({
        reason: "EmptyPassword",
        message: `the PKCS#12 container ${path} has no password; Corvus requires a password-protected container`
      })
    })
  )

  it.effect("a PKCS#12 container with no MAC and no encryption at all", () =>
    Effect.gen(function* () {
      const pair = issueCertificate(pki.customerCa, { commonName: "x" })
      const container = forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(pair.keyPem), [forge.pki.certificateFromPem(pair.certPem)], null, { useMac: false })
      const path = pki.write("unprotected.p12", Buffer.from(forge.asn1.toDer(container).getBytes(), "binary"))
      expect((yield* failure(custom(path))).reason).toBe("EmptyPassword")
    })
  )

  it.effect("a wrong password (OpenSSL's 'mac verify failure')", () =>
    Effect.gen(function* () {
      expect(yield* failure(custom(pki.customServerPfxPath, "not-the-password"))).toEqual({
        reason: "WrongPassword",
        message: `wrong password for the PKCS#12 container ${pki.customServerPfxPath}`
      })
    })
  )

  it.effect("a protected container with no password configured", () =>
    Effect.gen(function* () {
      expect(yield* failure(custom(pki.customServerPfxPath, ""))).toEqual({
        reason: "PasswordMissing",
        message: `the PKCS#12 container ${pki.customServerPfxPath} is password-protected but no password is configured`
      })
    })
  )

  it.effect("an expired certificate, saying when it expired", () =>
    Effect.gen(function* () {
      const path = identityPfx("expired.p12", { commonName: "old", notBefore: new Date("2020-01-01T00:00:00Z"), notAfter: new Date("2021-06-30T12:00:00Z") })
      const { reason, message } = yield* failure(custom(path))
      expect(reason).toBe("Expired")
      expect(message).toMatch(/^the certificate in .*expired\.p12 \(.*CN=old, O=Corvus\) expired on 2021-06-30T12:00:00\.000Z$/)
    })
  )

  it.effect("a certificate not yet valid, saying from when", () =>
    Effect.gen(function* () {
      const path = identityPfx("future.p12", { commonName: "future", notBefore: new Date("2099-01-01T00:00:00Z"), notAfter: new Date("2100-01-01T00:00:00Z") })
      const { reason, message } = yield* failure(custom(path))
      expect(reason).toBe("NotYetValid")
      expect(message).toMatch(/CN=future, O=Corvus\) is not valid before 2099-01-01T00:00:00\.000Z$/)
    })
  )

  it.effect("a foreign certificate: not issued by the configured CA", () =>
    Effect.gen(function* () {
      const path = pki.write("foreign.p12", toPkcs12(issueCertificate(pki.foreignCa, { commonName: "impostor" }), PfxPassword))
      const { reason, message } = yield* failure(custom(path, PfxPassword, pki.customerCaPath))
      expect(reason).toBe("ForeignCertificate")
      expect(message).toMatch(/CN=impostor, O=Corvus\) is a foreign certificate: it was not issued by the CA in .*customer-ca\.pem \(its issuer is CN=Foreign CA, O=Corvus\)/)
    })
  )

  it.effect("an unreadable file", () =>
    Effect.gen(function* () {
      const { reason, message } = yield* failure(custom(`${pki.dir}/missing.p12`))
      expect(reason).toBe("Unreadable")
      expect(message).toMatch(/^cannot read the PKCS#12 file .*missing\.p12: ENOENT/)
    })
  )

  it.effect("a corrupt or empty file", () =>
    Effect.gen(function* () {
      const garbage = pki.write("garbage.p12", "this is not DER")
      expect(yield* failure(custom(garbage))).toMatchObject({ reason: "Corrupt", message: expect.stringMatching(/is not a readable PKCS#12 container/) })
      const truncated = pki.write("truncated.p12", (yield* Effect.sync(() => toPkcs12(pki.client, PfxPassword))).subarray(0, 300))
      expect((yield* failure(custom(truncated))).reason).toBe("Corrupt")
      const empty = pki.write("empty.p12", "")
      expect(yield* failure(custom(empty))).toEqual({ reason: "Corrupt", message: `the PKCS#12 file ${empty} is empty` })
    })
  )

  it.effect("a client CA file that is missing, holds no certificate, or has expired", () =>
    Effect.gen(function* () {
      expect((yield* failure({ mode: "mutual", caPath: `${pki.dir}/nope.pem` })).reason).toBe("Unreadable")
      const notPem = pki.write("not-a-ca.pem", "hello")
      expect(yield* failure({ mode: "mutual", caPath: notPem })).toEqual({ reason: "Corrupt", message: `the CA file ${notPem} holds no PEM certificate` })
      expect((yield* failure({ mode: "mutual" }, new Date("2200-01-01T00:00:00Z"))).reason).toBe("Expired")
    })
  )
})
