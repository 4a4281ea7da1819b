// `npm start` as a newcomer runs it: one process on the embedded layers prints the console and
// API addresses (HTTPS with the installation's CA, created at first start) and a generated admin
// token, and demo alerts appear within a minute.
import { spawn, type ChildProcess } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { apiGet, send } from "../support/api.ts"
import { freePort } from "../support/freePort.ts"

const root = fileURLToPath(new URL("../../", import.meta.url))
const children: Array<ChildProcess> = []
const dataDirs: Array<string> = []

afterAll(() => {
  for (const child of children) child.kill("SIGKILL")
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true })
})

const waitFor = async <A>(probe: () => Promise<A | undefined>, timeoutMillis: number, what: string): Promise<A> => {
  const deadline = Date.now() + timeoutMillis
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMillis} ms`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

describe("npm start (single node, embedded layers)", () => {
  it("prints the HTTPS addresses and a generated admin token, serves the console and the API with a certificate of the installation's CA, and shows demo alerts within a minute", async () => {
    const [api, console_, control, collectors] = await Promise.all([freePort(), freePort(), freePort(), freePort()])
    const dataDir = mkdtempSync(join(tmpdir(), "corvus-start-"))
    dataDirs.push(dataDir)
    const startedAt = Date.now()
    const child = spawn(process.execPath, ["--import", "tsx", "cluster/main.ts"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        CORVUS_API_PORT: String(api),
        CORVUS_CONSOLE_PORT: String(console_),
        CORVUS_CONTROL_PORT: String(control),
        CORVUS_DEMO_COLLECTOR_PORT: String(collectors),
        CORVUS_DATA_DIR: dataDir
      }
    })
    children.push(child)
    let output = ""
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()))
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()))

    const token = await waitFor(async () => /admin token[^:]*: (\S+)/.exec(output)?.[1], 60_000, `the banner (output so far:\n${output})`)
    expect(output).toContain(`https://127.0.0.1:${console_}/`)
    expect(output).toContain(`https://127.0.0.1:${api}/api/v1/`)
    expect(token.length).toBeGreaterThanOrEqual(24)
    const caFile = join(dataDir, "ca", "ca.crt")
    expect(existsSync(caFile)).toBe(true)
    const ca = readFileSync(caFile, "utf8")

    const page = await send(`https://127.0.0.1:${console_}/`, { ca })
    expect(page.status).toBe(200)
    expect(page.text).toContain("<title>Corvus console</title>")
    // A client that does not trust the installation's CA is refused by TLS itself.
    await expect(send(`https://127.0.0.1:${api}/api/v1/alerts`, { ca: "" })).rejects.toThrow()

    const denied = await apiGet<{ message: string }>(`https://127.0.0.1:${api}`, "/api/v1/alerts", "not-the-token", ca)
    expect(denied.status).toBe(403)

    const alerts = await waitFor(
      async () => {
        const response = await apiGet<Array<{ tenantID: string; name: string }>>(`https://127.0.0.1:${api}`, "/api/v1/alerts", token, ca)
        return response.status === 200 && response.body.length > 0 ? response.body : undefined
      },
      60_000 - (Date.now() - startedAt),
      "a demo alert"
    )
    expect(alerts.some((alert) => alert.tenantID === "main" && alert.name === "Password guessing from one address")).toBe(true)
    child.kill("SIGTERM")
    const exitCode = await new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
    expect(exitCode === 0 || exitCode === null || exitCode === 130 || exitCode === 143).toBe(true)
  }, 90_000)
})
