// Test support: a throwaway PKI in a temporary directory: the installation CA, a foreign CA, a
// customer's own CA, client and server identities and PKCS#12 files, all generated at test time.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createCertificateAuthority, issueCertificate, toPkcs12, type PemPair } from "../../tls/CertificateAuthority.ts"
import * as InstallationCa from "../../tls/InstallationCa.ts"

export const PfxPassword = "s3cret"
const Loopback = ["127.0.0.1", "::1", "localhost"]

export interface TestPki {
  readonly dir: string
  /** The installation CA directory, already holding the Corvus CA. */
  readonly caDir: string
  readonly corvusCa: PemPair
  readonly foreignCa: PemPair
  /** A customer's own CA, for custom and mutual modes with their own files. */
  readonly customerCa: PemPair
  readonly customerCaPath: string
  readonly client: PemPair
  readonly foreignClient: PemPair
  readonly expiredClient: PemPair
  readonly customerClient: PemPair
  /** A server identity issued by the customer CA, as a password-protected container. */
  readonly customServerPfxPath: string
  /** Writes a file into the PKI directory and returns its path. */
  readonly write: (name: string, content: string | Buffer) => string
  readonly remove: () => void
}

export const makeTestPki = (): TestPki => {
  const dir = mkdtempSync(join(tmpdir(), "corvus-pki-"))
  const write = (name: string, content: string | Buffer) => {
    const path = join(dir, name)
    writeFileSync(path, content, { mode: 0o600 })
    return path
  }
  const caDir = join(dir, "installation")
  const corvusCa = InstallationCa.loadOrCreate(caDir)
  const foreignCa = createCertificateAuthority({ commonName: "Foreign CA" })
  const customerCa = createCertificateAuthority({ commonName: "Customer CA" })
  const customServer = issueCertificate(customerCa, { commonName: "collector.customer", altNames: Loopback })
  return {
    dir,
    caDir,
    corvusCa,
    foreignCa,
    customerCa,
    customerCaPath: write("customer-ca.pem", customerCa.certPem),
    client: issueCertificate(corvusCa, { commonName: "agent-1", client: true }),
    foreignClient: issueCertificate(foreignCa, { commonName: "intruder", client: true }),
    expiredClient: issueCertificate(corvusCa, {
      commonName: "agent-old",
      client: true,
      notBefore: new Date("2020-01-01T00:00:00Z"),
      notAfter: new Date("2021-01-01T00:00:00Z")
    }),
    customerClient: issueCertificate(customerCa, { commonName: "customer-agent", client: true }),
    customServerPfxPath: write("custom-server.p12", toPkcs12(customServer, PfxPassword, [customerCa.certPem])),
    write,
    remove: () => rmSync(dir, { recursive: true, force: true })
  }
}
