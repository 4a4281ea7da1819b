// `corvus agent` options: flags alone, a YAML config file alone (paths relative to the file),
// flags overriding the file, defaults, and usage errors that name the problem.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseAgentArguments } from "./AgentCommand.ts"

const directory = mkdtempSync(join(tmpdir(), "corvus-cli-"))
const configFile = join(directory, "agent.yaml")
writeFileSync(
  configFile,
  `collectors:
  - tls://collector-1.example:5140
  - tls://collector-2.example:5140
sources:
  - file: logs/app.log
    startAt: end
  - listen: unix:agent.sock
delimiter: nul
timeout: 5
maxTransmissionDelay: 10
batch: { records: 500 }
queue: { records: 20000, whenFull: drop-oldest }
tls: { ca: ca.pem, pfx: agent.p12, passwordFile: secret.txt }
status: { interval: 15, file: status.json }
`
)

const parse = (args: ReadonlyArray<string>, cwd = "/home/operator") => Effect.runPromise(parseAgentArguments(args, cwd))
const failure = (args: ReadonlyArray<string>) => Effect.runPromise(Effect.flip(parseAgentArguments(args, "/home/operator"))).then((error) => error.message)

describe("corvus agent options", () => {
  it("takes collectors in order and sources from flags, with the documented defaults", async () => {
    const request = await parse(["--collector", "10.0.0.1:5140", "--collector", "udp://10.0.0.2:5141", "--file", "app.log", "--stdin"])
    expect(request.kind).toBe("run")
    if (request.kind !== "run") return
    expect(request.config).toMatchObject({
      collectors: [
        { transport: "tcp", host: "10.0.0.1", port: 5140 },
        { transport: "udp", host: "10.0.0.2", port: 5141 }
      ],
      sources: [{ file: "/home/operator/app.log", startAt: "beginning" }, { stdin: true }],
      delimiter: "\n",
      timeout: 10,
      maxTransmissionDelay: 30,
      resendWindow: 5,
      batch: { records: 1_000, bytes: 1024 * 1024 },
      queue: { records: 100_000, bytes: 64 * 1024 * 1024, whenFull: "backpressure" },
      stateDir: ".corvus/agent",
      status: { interval: 60 }
    })
  })

  it("reads a YAML config file with paths relative to the file", async () => {
    const request = await parse(["--config", configFile])
    if (request.kind !== "run") throw new Error("expected a run request")
    expect(request.config).toMatchObject({
      collectors: [
        { transport: "tls", host: "collector-1.example", port: 5140 },
        { transport: "tls", host: "collector-2.example", port: 5140 }
      ],
      sources: [
        { file: join(directory, "logs/app.log"), startAt: "end" },
        { listen: { kind: "unix", path: join(directory, "agent.sock") } }
      ],
      delimiter: "\u0000",
      timeout: 5,
      maxTransmissionDelay: 10,
      batch: { records: 500, bytes: 1024 * 1024 },
      queue: { records: 20_000, whenFull: "drop-oldest" },
      tls: { ca: join(directory, "ca.pem"), pfx: join(directory, "agent.p12"), passwordFile: join(directory, "secret.txt") },
      status: { interval: 15, file: join(directory, "status.json") }
    })
  })

  it("flags override the file: scalars one by one, lists as a whole", async () => {
    const request = await parse(["-c", configFile, "--collector", "tcp://127.0.0.1:7000", "--stdin", "--max-delay", "0.5", "--queue-bytes", "8M", "--ca", "other-ca.pem"])
    if (request.kind !== "run") throw new Error("expected a run request")
    expect(request.config.collectors).toEqual([{ transport: "tcp", host: "127.0.0.1", port: 7000 }])
    expect(request.config.sources).toEqual([{ stdin: true }])
    expect(request.config.maxTransmissionDelay).toBe(0.5)
    expect(request.config.queue).toEqual({ records: 20_000, bytes: 8 * 1024 * 1024, whenFull: "drop-oldest" })
    expect(request.config.tls).toMatchObject({ ca: "/home/operator/other-ca.pem", pfx: join(directory, "agent.p12") })
  })

  it("--help asks for the usage text", async () => {
    expect(await parse(["--help"])).toEqual({ kind: "help" })
  })

  it("names what is missing or wrong", async () => {
    expect(await failure(["--stdin"])).toMatch(/no collector address/)
    expect(await failure(["--collector", "127.0.0.1:1"])).toMatch(/nothing to read/)
    expect(await failure(["--collector", "nonsense", "--stdin"])).toMatch(/"nonsense" is not a collector address/)
    expect(await failure(["--collector", "127.0.0.1:1", "--listen", "0.0.0.0:5000"])).toMatch(/loopback addresses only/)
    expect(await failure(["--collector", "127.0.0.1:1", "--stdin", "--when-full", "panic"])).toMatch(/whenFull/)
    expect(await failure(["--collector", "127.0.0.1:1", "--stdin", "--queue-bytes", "lots"])).toMatch(/--queue-bytes: "lots" is not a size/)
    expect(await failure(["--collector", "127.0.0.1:1", "--stdin", "--batch-records", "500", "--queue-records", "100"])).toMatch(/batch.records \(500\) exceeds queue.records \(100\)/)
    expect(await failure(["--collector", "127.0.0.1:1", "--stdin", "--frobnicate"])).toMatch(/Unknown option '--frobnicate'/)
    expect(await failure(["--config", join(directory, "missing.yaml")])).toMatch(/cannot read the config file/)
  })
})
