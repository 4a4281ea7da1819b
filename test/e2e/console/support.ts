// The console's end-to-end harness (issue 8): ONE real single node (embedded mode, demo data,
// HTTPS with its own CA in a temp data dir, ports in 32000-32999) started detached the way an
// operator starts it, users provisioned through the public API, the SPA built into ui/dist, and
// Debian's headless Chromium driven by playwright-core. Every page a test opens records console
// errors and warnings, uncaught exceptions and failed requests; `assertClean` fails the test on any.
import { execFile, spawn } from "node:child_process"
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs"
import { createServer, connect } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core"
import { send } from "../../support/api.ts"

export const root = fileURLToPath(new URL("../../../", import.meta.url))
export const artifacts = join(root, "test", "artifacts", "console")
const ensureChromiumScript = join(root, "ops", "ui", "ensure-chromium.sh")

const run = (command: string, args: ReadonlyArray<string>, timeoutMillis: number) =>
  new Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string }>((resolve) => {
    const child = execFile(command, [...args], { cwd: root, maxBuffer: 64 * 1024 * 1024, timeout: timeoutMillis }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
    )
    child.stdin?.end()
  })

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))

/** Polls `probe` until it yields a value; fails with `what` and the last error after the timeout. */
export const waitFor = async <A>(probe: () => Promise<A | undefined>, timeoutMillis: number, what: string): Promise<A> => {
  const deadline = Date.now() + timeoutMillis
  let last: unknown = undefined
  for (;;) {
    try {
      const value = await probe()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMillis} ms${last !== undefined ? ` (last error: ${String(last)})` : ""}`)
    await sleep(250)
  }
}

/** The path of a usable Chromium, installing Debian's package on a fresh machine (ops/ui/ensure-chromium.sh). */
export const ensureChromium = async (): Promise<string> => {
  const result = await run("bash", [ensureChromiumScript], 15 * 60_000)
  const path = /^CHROMIUM=(\S+)$/m.exec(result.stdout)?.[1]
  if (result.code !== 0 || path === undefined) throw new Error(`ops/ui/ensure-chromium.sh failed (exit ${result.code}):\n${result.stderr}\n${result.stdout}`)
  return path
}

const newestMtime = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const path = join(dir, entry.name)
    return Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
  }, 0)

/** Builds the SPA into ui/dist when it is missing or older than its sources (the console serves ui/dist). */
export const ensureUiBuilt = async (): Promise<void> => {
  const index = join(root, "ui", "dist", "index.html")
  const sources = Math.max(newestMtime(join(root, "ui", "src")), statSync(join(root, "ui", "index.html")).mtimeMs)
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return
  const result = await run("npm", ["run", "ui:build"], 5 * 60_000)
  if (result.code !== 0 || !existsSync(index)) throw new Error(`npm run ui:build failed (exit ${result.code}):\n${result.stdout.slice(-5_000)}\n${result.stderr.slice(-5_000)}`)
}

const portFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer()
    server.once("error", () => resolve(false))
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)))
  })

/** `count` consecutive free loopback ports in 32000-32999 (the range the e2e suites own). */
const freePortsInRange = async (count: number): Promise<Array<number>> => {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = 32_000 + Math.floor(Math.random() * (1_000 - count))
    const ports = Array.from({ length: count }, (_, index) => first + index)
    const free = await Promise.all(ports.map(portFree))
    if (free.every((ok) => ok)) return ports
  }
  throw new Error(`no ${count} consecutive free ports in 32000-32999`)
}

export interface RunningNode {
  readonly consoleUrl: string
  readonly apiUrl: string
  readonly ca: string
  readonly adminToken: string
  /** The demo collectors' TCP ports by collector id (acme-gw, globex-gw). */
  readonly collectorPorts: ReadonlyMap<string, number>
  readonly logFile: string
  readonly log: () => string
  readonly stop: () => Promise<void>
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * Starts one single node with the demo deployment, detached (its own session and process group,
 * stdin from /dev/null, output to a log file) so nothing waits on its pipes; `stop` ends the group.
 */
export const startNode = async (): Promise<RunningNode> => {
  const [apiPort, consolePort, controlPort, collectorPort] = (await freePortsInRange(5)) as [number, number, number, number, number]
  const dataDir = mkdtempSync(join(tmpdir(), "corvus-console-e2e-"))
  const logFile = join(dataDir, "node.log")
  const adminToken = `console-e2e-admin-${Math.random().toString(36).slice(2)}`
  const out = openSync(logFile, "a")
  const child = spawn("setsid", [process.execPath, "--import", "tsx", "cluster/main.ts"], {
    cwd: root,
    // Not `detached`: setsid execs node in place only when it is not already a group leader,
    // so the node keeps this pid and leads its own group.
    stdio: ["ignore", out, out],
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      CORVUS_MODE: "embedded",
      CORVUS_HOST: "127.0.0.1",
      CORVUS_ADMIN_TOKEN: adminToken,
      CORVUS_DATA_DIR: dataDir,
      CORVUS_API_PORT: String(apiPort),
      CORVUS_CONSOLE_PORT: String(consolePort),
      CORVUS_CONTROL_PORT: String(controlPort),
      CORVUS_DEMO_COLLECTOR_PORT: String(collectorPort),
      CORVUS_DEMO: "true",
      CORVUS_HTTPS: "true",
      CORVUS_PARTITIONS: "2"
    }
  })
  closeSync(out)
  child.unref()
  const pid = child.pid
  if (pid === undefined) throw new Error("could not start the node (setsid node --import tsx cluster/main.ts)")
  const log = () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "")

  const stop = async () => {
    // setsid made the node the leader of its own process group (pgid = pid): end the whole group.
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-pid, signal)
      } catch {
        // already gone
      }
    }
    signalGroup("SIGTERM")
    const deadline = Date.now() + 10_000
    while (alive(pid) && Date.now() < deadline) await sleep(100)
    signalGroup("SIGKILL")
    rmSync(dataDir, { recursive: true, force: true })
  }

  try {
    const banner = await waitFor(
      async () => {
        if (!alive(pid)) throw new Error("the node exited")
        const text = log()
        return /admin token/.test(text) ? text : undefined
      },
      90_000,
      `the node's start-up banner (log ${logFile})`
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n--- node log ---\n${log().slice(-5_000)}`)
    })
    const consoleUrl = /console:\s+(https:\/\/127\.0\.0\.1:\d+)\//.exec(banner)?.[1]
    const apiUrl = /API:\s+(https:\/\/127\.0\.0\.1:\d+)\/api\/v1\//.exec(banner)?.[1]
    if (consoleUrl === undefined || apiUrl === undefined) throw new Error(`the banner names no HTTPS console and API on loopback:\n${banner}`)
    const collectorPorts = new Map([...banner.matchAll(/collector (\S+) \(tenant \S+\): tcp:\/\/127\.0\.0\.1:(\d+)/g)].map((match) => [match[1]!, Number(match[2])]))
    const ca = readFileSync(join(dataDir, "ca", "ca.crt"), "utf8")
    await waitFor(async () => ((await send(`${consoleUrl}/`, { ca })).status === 200 ? true : undefined), 30_000, "the console answering /")
    return { consoleUrl, apiUrl, ca, adminToken, collectorPorts, logFile, log, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/** A tiny JSON client for the node's API (on the console's origin, as the SPA uses it). */
export const apiClient = (node: RunningNode, token: string) => {
  const call = async <A>(method: string, path: string, body?: unknown): Promise<{ readonly status: number; readonly body: A }> => {
    const response = await send(`${node.consoleUrl}/api/v1/${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ca: node.ca
    })
    return { status: response.status, body: (response.text === "" ? undefined : JSON.parse(response.text)) as A }
  }
  /** The body of a 2xx answer; anything else fails with the API's words. */
  const ok = async <A>(method: string, path: string, body?: unknown): Promise<A> => {
    const answer = await call<A>(method, path, body)
    if (answer.status < 200 || answer.status > 299) throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`)
    return answer.body
  }
  return { call, ok, get: <A>(path: string) => ok<A>("GET", path), post: <A>(path: string, body: unknown) => ok<A>("POST", path, body) }
}

export interface ConsoleUser {
  readonly login: string
  readonly password: string
  /** A session token of this user from POST /login, for comparing with the API. */
  readonly token: string
  readonly id: string
}

/** Creates a user with a password through POST /users (as the administrator) and signs it in once through the API. */
export const provisionUser = async (node: RunningNode, login: string, name: string, roles: ReadonlyArray<readonly [string, string]>): Promise<ConsoleUser> => {
  const admin = apiClient(node, node.adminToken)
  const password = `${login} passphrase ${Math.random().toString(36).slice(2)}`
  const created = await admin.post<{ id: string }>("users", { login, name, password, roles: roles.map(([tenantID, role]) => ({ tenantID, role })) })
  const session = await apiClient(node, "").call<{ token: string }>("POST", "login", { login, password })
  if (session.status !== 200) throw new Error(`POST /login for ${login} answered ${session.status}: ${JSON.stringify(session.body)}`)
  return { login, password, token: session.body.token, id: created.id }
}

/** Sends newline-delimited JSON records to a collector over TCP, as an agent would. */
export const sendRecords = (port: number, records: ReadonlyArray<Record<string, unknown>>): Promise<void> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.end(records.map((record) => `${JSON.stringify(record)}\n`).join(""), () => resolve()))
    socket.once("error", reject)
  })

export const launchChromium = async (executablePath: string): Promise<Browser> =>
  chromium.launch({ executablePath, headless: true, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] })

/** What went wrong in a page: console errors and warnings, uncaught exceptions, failed requests. */
export interface PageProblems {
  readonly problems: Array<string>
  /** Requests expected to fail (e.g. a validation answering 400): matching URLs are not problems. */
  readonly expectFailure: (urlPart: string, status: number) => void
}

export interface ConsolePage extends PageProblems {
  readonly context: BrowserContext
  readonly page: Page
  /** Saves a screenshot to test/artifacts/console/<test>-<step>.png. */
  readonly shot: (step: string) => Promise<void>
}

/** A fresh browser context (its own session storage, so its own sign-in) and page at 1280x800. */
export const openConsolePage = async (browser: Browser, testName: string): Promise<ConsolePage> => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } })
  const page = await context.newPage()
  const problems: Array<string> = []
  const expected: Array<{ urlPart: string; status: number }> = []
  const isExpected = (url: string, status?: number) => expected.some((entry) => url.includes(entry.urlPart) && (status === undefined || entry.status === status))
  page.on("console", (message) => {
    if (message.type() !== "error" && message.type() !== "warning") return
    // Chromium logs each non-2xx answer as "Failed to load resource"; an expected one is not a problem.
    if (/Failed to load resource/.test(message.text()) && isExpected(message.location().url)) return
    problems.push(`console ${message.type()}: ${message.text()} (${message.location().url}:${message.location().lineNumber})`)
  })
  page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`))
  page.on("requestfailed", (request) => {
    // A navigation away cancels what the old page still had in flight; that is not a failure.
    if (request.failure()?.errorText === "net::ERR_ABORTED") return
    problems.push(`request failed: ${request.method()} ${request.url()}: ${request.failure()?.errorText ?? "?"}`)
  })
  page.on("response", (response) => {
    if (response.status() >= 400 && !isExpected(response.url(), response.status())) problems.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`)
  })
  mkdirSync(artifacts, { recursive: true })
  const slug = testName.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "").toLowerCase()
  return {
    context,
    page,
    problems,
    expectFailure: (urlPart, status) => void expected.push({ urlPart, status }),
    shot: async (step) => {
      await page.screenshot({ path: join(artifacts, `${slug}-${step}.png`) })
    }
  }
}

/** Signs in through the sign-in form; resolves when the console's navigation is shown. */
export const signIn = async (page: Page, consoleUrl: string, user: { readonly login: string; readonly password: string }) => {
  await page.goto(`${consoleUrl}/`)
  await page.getByLabel("Login").fill(user.login)
  await page.getByLabel("Password").fill(user.password)
  await page.getByRole("button", { name: "Sign in" }).click()
  await page.getByRole("navigation", { name: "Pages" }).waitFor()
}
