// The OpenAPI document drives a generated-request fuzz run (schemathesis, from PyPI through
// ops/fuzz/ensure-schemathesis.sh) against a real single node over HTTPS: no request may get a
// 5xx, and no response may break the schema its route declares (issue 7, point 7).
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as Node from "../../cluster/Node.ts"
import * as NodeLayers from "../../cluster/NodeLayers.ts"
import { Deployment } from "../../model/Deployment.ts"
import { provisionUsers } from "../support/gatewayUsers.ts"

const ensureScript = fileURLToPath(new URL("../../ops/fuzz/ensure-schemathesis.sh", import.meta.url))

const run = (command: string, args: ReadonlyArray<string>, timeoutMillis: number, cwd?: string) =>
  new Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string }>((resolve) => {
    const child = execFile(command, [...args], { maxBuffer: 64 * 1024 * 1024, timeout: timeoutMillis, ...(cwd !== undefined ? { cwd } : {}) }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
    )
    child.stdin?.end()
  })

const deployment = Schema.decodeUnknownSync(Deployment)({
  tenants: [
    { id: "main", name: "Main", main: true },
    { id: "tenant-2", name: "Tenant 2", main: false }
  ],
  collectors: [],
  correlators: [
    {
      id: "soc",
      name: "SOC",
      tenantId: "main",
      sources: [{ tenantId: "main" }],
      rules: [{ kind: "standard", id: "brute", name: "Brute force", selectors: [{ filter: { field: "EventOutcome", op: "=", value: "failure" }, threshold: 5 }], identicalFields: ["SourceAddress"], windowSeconds: 600 }]
    }
  ]
})

describe("the REST API under generated requests", () => {
  it.live(
    "schemathesis, driven by the served OpenAPI document, finds no 5xx and no response outside its declared schema",
    () =>
      Effect.gen(function* () {
        const installed = yield* Effect.promise(() => run("bash", [ensureScript], 15 * 60_000))
        const st = /SCHEMATHESIS=(\S+)/.exec(installed.stdout)?.[1]
        if (st === undefined) throw new Error(`ops/fuzz/ensure-schemathesis.sh failed:\n${installed.stderr}`)

        const caDir = mkdtempSync(join(tmpdir(), "corvus-fuzz-ca-"))
        yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(caDir, { recursive: true, force: true })))
        const node = yield* Node.run(deployment, { nodeId: "fuzz", mode: "embedded", host: "127.0.0.1", apiPort: 0, consolePort: 0, controlPort: 0, adminToken: "fuzz-admin-token", version: "test", partitions: 2, caDir, https: true })
        yield* provisionUsers([{ login: "analyst-2", token: "analyst-2-token", roles: [["tenant-2", "tier-1-analyst"]], password: "correct horse battery staple" }])
        expect(node.apiUrl).toMatch(/^https:/)

        const fuzz = () =>
          run(
            st,
            [
              "run",
              `${node.apiUrl}/api/v1/openapi.json`,
              "--checks",
              "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
              "--header",
              "Authorization: Bearer fuzz-admin-token",
              "--tls-verify",
              join(caDir, "ca.crt"),
              // Sign-out would revoke the fuzzer's own token and leave the rest of the run at 403.
              "--exclude-path",
              "/api/v1/logout",
              "--max-examples",
              "25",
              "--seed",
              "20261122",
              // One worker: with two, hypothesis's lambda descriptions (ast.parse on threads) crashed
              // CPython 3.11 once ("AST constructor recursion depth mismatch").
              "--workers",
              "1",
              "--no-color",
              "--generation-database",
              "none"
            ],
            10 * 60_000,
            // Its working files (reports, caches) stay out of the repository.
            caDir
          )
        let result = yield* Effect.promise(fuzz)
        // A crash of the fuzzer itself (a "Runtime Error" and no failure of the API) is run again
        // once; a failure of the API never is.
        const crashedOnly = (output: string) => /Errors:\s+🚫 Runtime Error/.test(output) && !/Failures:/.test(output)
        if (result.code !== 0 && crashedOnly(result.stdout)) {
          console.warn(`schemathesis crashed (not an API failure); running it once more:\n${result.stdout.slice(-3_000)}`)
          result = yield* Effect.promise(fuzz)
        }
        if (result.code !== 0) throw new Error(`schemathesis found failures (exit ${result.code}):\n${result.stdout.slice(-20_000)}\n${result.stderr.slice(-5_000)}`)
        // A run that tested next to nothing would pass too: it must have covered the API.
        const operations = Number(/Tested: (\d+)/.exec(result.stdout)?.[1] ?? 0)
        const cases = Number(/(\d+) generated/.exec(result.stdout)?.[1] ?? 0)
        console.log(`schemathesis: ${operations} operations, ${cases} generated test cases, no failure`)
        expect(operations).toBeGreaterThanOrEqual(30)
        expect(cases).toBeGreaterThan(1_000)
      }).pipe(Effect.scoped, Effect.provide(NodeLayers.embedded(":memory:")), Effect.orDie),
    20 * 60_000
  )
})
