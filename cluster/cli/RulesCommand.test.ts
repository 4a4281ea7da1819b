// `corvus rules deploy` through gRPC against a real single node (embedded layers, started in this
// process): a raised threshold deployed while the node runs takes effect for later events (a group
// that would have fired under the old rule does not, and fires at the new threshold), the changed
// rule's old groups are dropped, the npm bin reports an unchanged file, and every refusal says
// what to fix with exit status 1 or 2.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Schema } from "effect"
import { spawn } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Deployment } from "../../model/Deployment.ts"
import { CorrelatorId } from "../../model/Ids.ts"
import { eventually } from "../../test/support/eventually.ts"
import { sendLines } from "../../test/support/sendLines.ts"
import * as ControlClient from "../control/ControlClient.ts"
import { CorrelatorRegistry } from "../CorrelatorRegistry.ts"
import { testNodeOptions } from "../../test/support/testNode.ts"
import * as Node from "../Node.ts"
import * as NodeLayers from "../NodeLayers.ts"
import { MainTenantId } from "../../model/Tenant.ts"
import { EventStore } from "../../storage/EventStore.ts"
import * as RulesCommand from "./RulesCommand.ts"
import { captured } from "../../test/support/captureConsole.ts"

const bin = fileURLToPath(new URL("./corvus.mjs", import.meta.url))
const Timeout = 90_000
const Partitions = 2
const correlatorId = CorrelatorId.make("soc")

const correlator = (threshold: number, extra: Record<string, unknown> = {}) => ({
  id: correlatorId,
  tenantId: "main",
  name: "SOC",
  sources: [{ tenantId: "acme" }],
  rules: [
    {
      kind: "standard",
      id: "brute-force",
      name: "Brute force",
      selectors: [{ name: "failures", filter: { field: "EventOutcome", op: "=", value: "failure" }, threshold }],
      identicalFields: ["SourceAddress"],
      windowSeconds: 600
    }
  ],
  ...extra
})

const deployment = Schema.decodeUnknownSync(Deployment)({
  tenants: [
    { id: "main", name: "Main", main: true },
    { id: "acme", name: "Acme", main: false }
  ],
  collectors: [{ id: "acme-tcp", tenantId: "acme", name: "Acme TCP", connector: { kind: "tcp", host: "127.0.0.1", port: 0 }, normalizer: "json" }],
  correlators: [correlator(3)]
})


const corvus = (args: ReadonlyArray<string>): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: tmpdir(), stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

describe("corvus rules deploy", () => {
  it.live(
    "a raised threshold deployed over gRPC takes effect for later events: the old rule's groups go, a group fires at the new threshold, not the old one",
    () =>
      Effect.gen(function* () {
        const node = yield* Node.run(deployment, testNodeOptions("rules-node", { partitions: Partitions }))
        const client = yield* ControlClient.make(node.controlAddress)
        yield* eventually(client.getPartitionTable(), (table) => [...table.partitions, ...table.routers].every((entry) => entry.owner?.nodeId === "rules-node"))
        const port = node.collectorPorts.get(deployment.collectors[0]!.id)!
        const start = Date.now()
        let sent = 0
        const failures = (address: string, count: number) =>
          Effect.promise(() =>
            sendLines(
              "127.0.0.1",
              port,
              Array.from({ length: count }, () => JSON.stringify({ Timestamp: new Date(start + 1_000 * sent++).toISOString(), EventOutcome: "failure", SourceAddress: address }))
            )
          )
        const correlationEvents = client.getNodeInfo().pipe(Effect.map((info) => info.counters.correlationEvents))
        const groupOf = (address: string) =>
          Effect.forEach(Array.from({ length: Partitions }, (_, partition) => partition), (partition) =>
            client.getGroupState({ correlatorId, partition, ruleId: "brute-force", groupKey: address }).pipe(Effect.option)
          ).pipe(Effect.map((answers) => answers.flatMap((answer) => (Option.isSome(answer) ? [answer.value] : []))))

        // Revision 1 (the deployment file's) fires at 3.
        yield* failures("10.1.1.1", 3)
        yield* eventually(correlationEvents, (count) => count === 1)
        expect((yield* groupOf("10.1.1.1")).map((group) => group.fired)).toEqual([1])

        const dir = mkdtempSync(join(tmpdir(), "corvus-rules-"))
        const raised = join(dir, "soc.json")
        writeFileSync(raised, JSON.stringify(correlator(5)))
        const deployed = yield* captured(RulesCommand.main(["deploy", raised, "--control", node.controlAddress]))
        expect(deployed).toEqual({ code: 0, stdout: "correlator soc deployed as revision 2\n", stderr: "" })
        const registry = yield* CorrelatorRegistry
        expect(Option.map(yield* registry.current(correlatorId), (current) => current.revision)).toEqual(Option.some(2))

        // Four failures of another address: three would have fired under revision 1.
        yield* failures("10.2.2.2", 4)
        const counted = yield* eventually(groupOf("10.2.2.2"), (groups) => groups[0]?.eventCount === 4)
        expect(counted.map((group) => [group.fired, group.selectors[0]?.threshold])).toEqual([[0, 5]])
        // The changed rule's groups of revision 1 are gone once their partition moved (marks carry the revision too).
        yield* eventually(groupOf("10.1.1.1"), (groups) => groups.length === 0)
        expect(yield* correlationEvents).toBe(1)
        yield* failures("10.2.2.2", 1)
        yield* eventually(correlationEvents, (count) => count === 2)
        expect((yield* groupOf("10.2.2.2")).map((group) => group.fired)).toEqual([1])

        // The npm bin, as an operator runs it: the same file again stores nothing.
        const again = yield* Effect.promise(() => corvus(["rules", "deploy", raised, "--control", node.controlAddress]))
        expect(again).toEqual({ code: 0, stdout: "correlator soc unchanged: revision 2 already has these rules\n", stderr: "" })

        // Refusals name what to fix.
        const refused = (name: string, content: string) => {
          const file = join(dir, name)
          writeFileSync(file, content)
          return captured(RulesCommand.main(["deploy", file, "--control", node.controlAddress]))
        }
        const invalid = yield* refused("bad.yaml", "id: soc\ntenantId: main\nname: ''\nsources: []\nrules: [{ kind: standard, id: x }]\n")
        expect(invalid.code).toBe(1)
        expect(invalid.stderr).toContain(`corvus rules deploy: ${join(dir, "bad.yaml")} was refused: document.yaml:`)
        // One line per problem, "path: reason".
        for (const line of ["\nname: Expected a non empty string", "\nsources[0]: is missing", "\nrules[0].windowSeconds: is missing"]) expect(invalid.stderr).toContain(line)
        const unknown = yield* refused("other.json", JSON.stringify(correlator(5, { id: "other" })))
        expect([unknown.code, unknown.stderr]).toEqual([1, `corvus rules deploy: ${join(dir, "other.json")} was refused: correlator other is not deployed on this node\n`])
        const lists = yield* refused("lists.json", JSON.stringify(correlator(5, { activeLists: [{ name: "seen" }] })))
        expect(lists.code).toBe(1)
        expect(lists.stderr).toContain("would make it unpartitionable (it has active lists); its partition count is fixed")
        expect(Option.map(yield* registry.current(correlatorId), (current) => current.revision)).toEqual(Option.some(2))

        // Audited in the main tenant: the node's services started, and the one deploy that stored a revision.
        const audit = yield* (yield* EventStore).search({ tenantIds: [MainTenantId], from: 0, to: Date.now() + 60_000, filter: { field: "Type", op: "=", value: 4 }, limit: 100, order: "asc" })
        expect(audit.filter((event) => event.Name === "service reloaded").map((event) => [event.Extra?.serviceID, event.Extra?.revision])).toEqual([["soc", "2"]])
        expect(audit.filter((event) => event.Name === "service started").map((event) => event.Extra?.serviceKind).sort()).toEqual(["collector", "gateway", "storage"])
      }).pipe(Effect.scoped, Effect.provide(NodeLayers.embedded(":memory:")), Effect.orDie),
    Timeout
  )

  it.live("usage: a missing file exits 2, an unreadable file and an unreachable node exit 1, --help lists the options", () =>
    Effect.gen(function* () {
      const missing = yield* captured(RulesCommand.main(["deploy"]))
      expect([missing.code, missing.stdout]).toEqual([2, ""])
      expect(missing.stderr).toContain("corvus rules deploy: missing <file>")
      const extra = yield* captured(RulesCommand.main(["deploy", "a.json", "b.json"]))
      expect(extra.code).toBe(2)
      expect(extra.stderr).toContain('corvus rules: unknown subcommand "deploy a.json b.json"')
      const unreadable = yield* captured(RulesCommand.main(["deploy", join(tmpdir(), "no-such-corvus-file.json")]))
      expect(unreadable.code).toBe(1)
      expect(unreadable.stderr).toContain("corvus rules deploy: cannot read")
      const file = join(mkdtempSync(join(tmpdir(), "corvus-rules-")), "soc.json")
      writeFileSync(file, JSON.stringify(correlator(5)))
      const nobody = yield* captured(RulesCommand.main(["deploy", file, "--control", "127.0.0.1:1"]))
      expect(nobody.code).toBe(1)
      expect(nobody.stderr).toContain("corvus rules deploy: cannot reach a node's control plane at 127.0.0.1:1")
      const help = yield* captured(RulesCommand.main(["--help"]))
      expect(help.code).toBe(0)
      expect(help.stdout).toContain("Usage: corvus rules deploy <file> [options]")
      expect(help.stdout).toContain("--control <host:port>")
    })
  )
})
