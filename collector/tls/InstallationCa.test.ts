// The installation CA store: created once with private key files, the same CA on every later
// load, a cached node certificate reissued only when it is unusable, corrupt CA files reported.
import { describe, expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { X509Certificate } from "node:crypto"
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll } from "vitest"
import { createCertificateAuthority, issueCertificate } from "./CertificateAuthority.ts"
import * as InstallationCa from "./InstallationCa.ts"
import { TlsConfigInvalid } from "./TlsConfigInvalid.ts"

const root = mkdtempSync(join(tmpdir(), "corvus-ca-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let dirs = 0
const freshDir = () => join(root, `store-${dirs++}`, "nested")

const modeOf = (path: string) => statSync(path).mode & 0o777

describe("InstallationCa.loadOrCreate", () => {
  it("creates the CA at first use: directory 0700, key bundle 0600, public certificate beside it", () => {
    const dir = freshDir()
    const ca = InstallationCa.loadOrCreate(dir)
    expect(new X509Certificate(ca.certPem).ca).toBe(true)
    expect(modeOf(dir)).toBe(0o700)
    expect(modeOf(join(dir, InstallationCa.CaBundleFile))).toBe(0o600)
    expect(readFileSync(join(dir, InstallationCa.CaCertificateFile), "utf8")).toBe(ca.certPem)
    expect(readFileSync(join(dir, InstallationCa.CaCertificateFile), "utf8")).not.toContain("PRIVATE KEY")
  })

  it("returns the same CA on every later load and tightens a loosened key file", () => {
    const dir = freshDir()
    const first = InstallationCa.loadOrCreate(dir)
    chmodSync(join(dir, InstallationCa.CaBundleFile), 0o644)
    const second = InstallationCa.loadOrCreate(dir)
    expect(second).toEqual(first)
    expect(modeOf(join(dir, InstallationCa.CaBundleFile))).toBe(0o600)
  })

  it("reports a corrupt CA bundle instead of silently replacing the installation's CA", () => {
    const dir = freshDir()
    InstallationCa.loadOrCreate(dir)
    writeFileSync(join(dir, InstallationCa.CaBundleFile), "garbage")
    const thrown = (() => {
      try {
        InstallationCa.loadOrCreate(dir)
        return undefined
      } catch (error) {
        return error
      }
    })()
    expect(thrown).toBeInstanceOf(TlsConfigInvalid)
    expect(thrown).toMatchObject({ reason: "Corrupt", message: `${join(dir, InstallationCa.CaBundleFile)} does not hold a PEM certificate and private key` })
  })

  it("reports a CA bundle whose key does not belong to its certificate", () => {
    const dir = freshDir()
    const ca = InstallationCa.loadOrCreate(dir)
    const other = createCertificateAuthority({ commonName: "other" })
    writeFileSync(join(dir, InstallationCa.CaBundleFile), `${ca.certPem}${other.keyPem}`)
    expect(() => InstallationCa.loadOrCreate(dir)).toThrow(/holds an unusable certificate or key/)
  })
})

/** Runs loadOrCreate in a separate Node process and returns the CA certificate it got. */
const loadInChildProcess = (dir: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const module = fileURLToPath(new URL("./InstallationCa.ts", import.meta.url))
    const script = `const { loadOrCreate } = await import(${JSON.stringify(module)}); process.stdout.write(loadOrCreate(${JSON.stringify(dir)}).certPem)`
    execFile(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], (error, stdout, stderr) =>
      error === null ? resolve(stdout) : reject(new Error(`${error.message}\n${stderr}`))
    )
  })

describe("InstallationCa concurrent first use", () => {
  it("processes creating the CA at the same moment all end up with one and the same CA", async () => {
    const dir = freshDir()
    const certificates = await Promise.all([loadInChildProcess(dir), loadInChildProcess(dir)])
    expect(new Set(certificates).size).toBe(1)
    expect(certificates[0]).toBe(InstallationCa.loadOrCreate(dir).certPem)
  }, 60_000)
})

describe("InstallationCa.nodeIdentity", () => {
  it("issues a server certificate for the loopback names, signed by the CA, and caches it (0600)", () => {
    const dir = freshDir()
    const identity = InstallationCa.nodeIdentity(dir)
    const certificate = new X509Certificate(identity.certPem)
    const ca = new X509Certificate(InstallationCa.loadOrCreate(dir).certPem)
    expect(certificate.checkIssued(ca) && certificate.verify(ca.publicKey)).toBe(true)
    expect(certificate.checkIP("127.0.0.1")).toBe("127.0.0.1")
    expect(certificate.checkHost("localhost")).toBe("localhost")
    expect(modeOf(join(dir, InstallationCa.NodeBundleFile))).toBe(0o600)
    expect(InstallationCa.nodeIdentity(dir)).toEqual(identity)
  })

  it("reissues the node certificate when it is close to expiry, from another CA, missing a requested name, or corrupt", () => {
    const dir = freshDir()
    const identity = InstallationCa.nodeIdentity(dir)
    const expiresAt = new Date(new X509Certificate(identity.certPem).validTo)
    const nearExpiry = InstallationCa.nodeIdentity(dir, { now: new Date(expiresAt.getTime() - 24 * 60 * 60 * 1000) })
    expect(nearExpiry.certPem).not.toBe(identity.certPem)

    const foreign = issueCertificate(createCertificateAuthority({ commonName: "old CA" }), { commonName: "node", altNames: ["127.0.0.1"] })
    writeFileSync(join(dir, InstallationCa.NodeBundleFile), `${foreign.certPem}${foreign.keyPem}`)
    expect(InstallationCa.nodeIdentity(dir).certPem).not.toBe(foreign.certPem)

    const withHost = InstallationCa.nodeIdentity(dir, { altNames: ["collector.example"] })
    expect(new X509Certificate(withHost.certPem).checkHost("collector.example")).toBe("collector.example")

    writeFileSync(join(dir, InstallationCa.NodeBundleFile), "garbage")
    expect(new X509Certificate(InstallationCa.nodeIdentity(dir).certPem).checkIP("127.0.0.1")).toBe("127.0.0.1")
  }, 30_000)
})
