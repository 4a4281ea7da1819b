// `corvus cluster status` and `corvus node drain` as an operator runs them (the npm bin shim, a
// separate process) against a real single node started in this process on the embedded layers:
// the status lists the node with its events per second and its partitions and router with their
// lag, a drain hands them all over, and the status then shows them unowned with the lag unknown. Also what SIGTERM relies on (closing the node's scope hands every partition
// over), the node's group inspection, and the messages when no node answers or the usage is wrong.
import * as grpc from "@grpc/grpc-js"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option, Schema, Scope } from "effect"
import { spawn } from "node:child_process"
import { type AddressInfo, createServer } from "node:net"
import { tmpdir } from "node:os"
import { fileURLToPath } from "node:url"
import { CorrelatorId } from "../../model/Ids.ts"
import { Deployment } from "../../model/Deployment.ts"
import { eventually } from "../../test/support/eventually.ts"
import { sendLines } from "../../test/support/sendLines.ts"
import * as ControlClient from "../control/ControlClient.ts"
import * as ClusterCommand from "./ClusterCommand.ts"
import * as NodeCommand from "./NodeCommand.ts"
import { testNodeOptions } from "../../test/support/testNode.ts"
import * as Node from "../Node.ts"
import * as NodeLayers from "../NodeLayers.ts"
import { Membership } from "../ownership/Membership.ts"
import { PartitionLeases } from "../ownership/PartitionLeases.ts"
import { captured } from "../../test/support/captureConsole.ts"

const bin = fileURLToPath(new URL("./corvus.mjs", import.meta.url))

const corvus = (args: ReadonlyArray<string>): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: tmpdir(), stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

// Each spawn loads TypeScript through tsx (about 2 s, more on a busy machine).
const Timeout = 90_000
const Partitions = 4
const nodeId = "cli-node"
const correlatorId = CorrelatorId.make("soc")

const deployment = Schema.decodeUnknownSync(Deployment)({
  tenants: [
    { id: "main", name: "Main", main: true },
    { id: "acme", name: "Acme", main: false }
  ],
  collectors: [{ id: "acme-tcp", tenantId: "acme", name: "Acme TCP", connector: { kind: "tcp", host: "127.0.0.1", port: 0 }, normalizer: "json" }],
  correlators: [
    {
      id: correlatorId,
      tenantId: "main",
      name: "SOC",
      sources: [{ tenantId: "acme" }],
      rules: [
        {
          kind: "standard",
          id: "brute-force",
          name: "Brute force",
          selectors: [{ name: "failures", filter: { field: "EventOutcome", op: "=", value: "failure" }, threshold: 5 }],
          identicalFields: ["SourceAddress"],
          windowSeconds: 600
        }
      ]
    }
  ]
})

const startNode = Node.run(deployment, testNodeOptions(nodeId, { partitions: Partitions }))

const ownedBy = (table: { readonly partitions: ReadonlyArray<{ readonly owner: { readonly nodeId: string } | undefined }> }, owner: string) =>
  table.partitions.filter((entry) => entry.owner?.nodeId === owner).length

// A port that was just ours and is closed again.
const closedAddress = Effect.promise(
  () =>
    new Promise<string>((resolve) => {
      const server = createServer()
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        server.close(() => resolve(`127.0.0.1:${port}`))
      })
    })
)


// A partition row: number, owner, epoch, applied, checkpoint, lag; a member row: node, address,
// draining, then events received, stored and correlated per second.
const row = (cells: ReadonlyArray<string>) => new RegExp(`^ {2}${cells.join(" +")}$`, "m")
const rate = "\\d+\\.\\d"

describe("corvus cluster status and corvus node drain", () => {
  it.live(
    "status lists the node and the partitions it owns; drain hands all of them over; status then shows them unowned",
    () =>
      Effect.gen(function* () {
        const node = yield* startNode
        const client = yield* ControlClient.make(node.controlAddress)
        yield* eventually(client.getPartitionTable(), (table) => ownedBy(table, nodeId) === Partitions)
        expect((yield* client.getHealth()).status).toBe("serving")

        const before = yield* Effect.promise(() => corvus(["cluster", "status", "--control", node.controlAddress]))
        expect(before.stderr).toBe("")
        expect(before.code).toBe(0)
        expect(before.stdout).toContain(`Cluster as seen by node ${nodeId} (${node.controlAddress})`)
        expect(before.stdout).toContain("Members (1)")
        // The member announces the port the control server bound, not the 0 it was asked for.
        expect(before.stdout).toMatch(row([nodeId, node.controlAddress.replace(/[.]/g, "\\."), "no", rate, rate, rate]))
        expect(before.stdout).toMatch(row(["total", "1 of 1 answered", rate, rate, rate]))
        expect(before.stdout).toContain(`Correlator soc: 4 partition(s), 4 owned, 0 unowned, 4 reporting progress`)
        // Lag is measured where the owner runs the partition: nothing routed yet, so 0.
        for (let partition = 0; partition < Partitions; partition++) expect(before.stdout).toMatch(row([String(partition), nodeId, "\\d+", "\\d+", "\\d+", "0"]))
        expect(before.stdout).toMatch(row(["router", nodeId, "\\d+", "\\d+", "\\d+", "0"]))

        const drained = yield* Effect.promise(() => corvus(["node", "drain", "--control", node.controlAddress]))
        expect(drained.stderr).toBe("")
        expect(drained.code).toBe(0)
        expect(drained.stdout.trim()).toBe(`node ${nodeId} drained: handed over 4 partition(s); it takes none until it restarts`)

        const after = yield* Effect.promise(() => corvus(["cluster", "status", "--control", node.controlAddress]))
        expect(after.code).toBe(0)
        expect(after.stdout).toMatch(row([nodeId, node.controlAddress.replace(/[.]/g, "\\."), "yes", rate, rate, rate]))
        expect(after.stdout).toContain(`Correlator soc: 4 partition(s), 0 owned, 4 unowned, 0 reporting progress`)
        for (let partition = 0; partition < Partitions; partition++) expect(after.stdout).toMatch(row([String(partition), "-", "-", "-", "-", "unknown"]))
        expect(after.stdout).toMatch(row(["router", "-", "-", "-", "-", "unknown"]))
        expect(yield* client.getHealth()).toEqual({ status: "draining", detail: "drained: holds no partitions and takes none" })

        // A drained node stays drained: a second drain hands over nothing.
        expect(yield* client.drain()).toEqual({ nodeId, partitionsHandedOver: 0 })
      }).pipe(Effect.scoped, Effect.provide(NodeLayers.embedded(":memory:")), Effect.orDie),
    Timeout
  )

  it.live(
    "closing the node's scope (what SIGTERM does) hands every partition over and leaves the membership",
    () =>
      Effect.gen(function* () {
        const leases = yield* PartitionLeases
        const membership = yield* Membership
        const nodeScope = yield* Scope.make()
        const node = yield* startNode.pipe(Scope.extend(nodeScope))
        yield* Effect.scoped(
          Effect.flatMap(ControlClient.make(node.controlAddress), (client) => eventually(client.getPartitionTable(), (table) => ownedBy(table, nodeId) === Partitions))
        )
        yield* Scope.close(nodeScope, Exit.void)
        const owners = yield* Effect.forEach(Array.from({ length: Partitions }, (_, partition) => partition), (partition) => leases.current(correlatorId, partition))
        expect(owners).toEqual(Array.from({ length: Partitions }, () => Option.none()))
        expect(yield* membership.members).toEqual([])
      }).pipe(Effect.provide(NodeLayers.embedded(":memory:")), Effect.orDie),
    Timeout
  )

  it.live(
    "the node shows a live group's window and counts in the one partition that holds it; NOT_FOUND elsewhere and for an unknown rule or correlator",
    () =>
      Effect.gen(function* () {
        const node = yield* startNode
        const client = yield* ControlClient.make(node.controlAddress)
        yield* eventually(client.getPartitionTable(), (table) => ownedBy(table, nodeId) === Partitions)
        const now = Date.now()
        const failure = (i: number) => JSON.stringify({ Timestamp: new Date(now + i * 1_000).toISOString(), EventOutcome: "failure", SourceAddress: "10.1.1.1" })
        yield* Effect.promise(() => sendLines("127.0.0.1", node.collectorPorts.get(deployment.collectors[0]!.id)!, [failure(0), failure(1)]))

        const query = (partition: number) => client.getGroupState({ correlatorId, partition, ruleId: "brute-force", groupKey: "10.1.1.1" }).pipe(Effect.either)
        const answers = yield* eventually(
          Effect.forEach(Array.from({ length: Partitions }, (_, partition) => partition), query),
          (all) => all.some((answer) => answer._tag === "Right" && answer.right.eventCount === 2)
        )
        const found = answers.flatMap((answer) => (answer._tag === "Right" ? [answer.right] : []))
        expect(found).toHaveLength(1)
        expect(found[0]).toMatchObject({
          windowStartMs: now,
          windowEndMs: now + 600_000,
          eventCount: 2,
          firstEventMs: now,
          lastEventMs: now + 1_000,
          fired: 0,
          selectors: [{ name: "failures", count: 2, threshold: 5, recovery: false }]
        })
        expect(found[0]!.appliedSequence).toBeGreaterThan(0)
        // The node's rates show the events it received over the last seconds; once every partition
        // and the router applied what reached them, nothing lags.
        const info = yield* eventually(client.getNodeInfo(), (answer) => (answer.rates?.eventsReceivedPerSecond ?? 0) > 0)
        expect(info.rates!.windowMs).toBeGreaterThan(0)
        const caughtUp = yield* eventually(client.getPartitionTable(), (table) => [...table.partitions, ...table.routers].every((entry) => entry.progress?.lag === 0))
        expect(caughtUp.routers.map((entry) => entry.progress?.appliedSequence)).toEqual([2])
        for (const answer of answers) {
          if (answer._tag === "Left") {
            expect(answer.left.code).toBe(grpc.status.NOT_FOUND)
            expect(answer.left.detail).toMatch(/no live group "10\.1\.1\.1" of rule brute-force/)
          }
        }
        const unknownRule = yield* Effect.flip(client.getGroupState({ correlatorId, partition: found[0]!.partition, ruleId: "nope", groupKey: "10.1.1.1" }))
        expect(unknownRule.code).toBe(grpc.status.NOT_FOUND)
        const unknownCorrelator = yield* Effect.flip(client.getPartitionTable("nope"))
        expect(unknownCorrelator.code).toBe(grpc.status.NOT_FOUND)
        // The command passes the node's answer on (in process: a spawn costs seconds of CPU).
        const filtered = yield* captured(ClusterCommand.main(["status", "--control", node.controlAddress, "--correlator", "nope"]))
        expect(filtered.code).toBe(1)
        expect(filtered.stderr).toContain(`corvus cluster status: node at ${node.controlAddress} answered: correlator nope is not deployed on this node`)
      }).pipe(Effect.scoped, Effect.provide(NodeLayers.embedded(":memory:")), Effect.orDie),
    Timeout
  )

  it("the report sums the rates of the members that answered, marks the one that did not, and shows lag unknown where no owner reported it", () => {
    const rates = (received: number) => ({ eventsReceivedPerSecond: received, eventsStoredPerSecond: received / 2, correlationEventsPerSecond: 0.25, windowMs: 10_000 })
    const info = (id: string, received: number) => ({ nodeId: id, version: "test", roles: [], startTimeMs: 0, uptimeMs: 0, mode: "cluster" as const, counters: { eventsReceived: 0, eventsStored: 0, correlationEvents: 0, alerts: 0, parseErrors: 0 }, rates: rates(received) })
    const member = (id: string) => ({ nodeId: id, address: `127.0.0.1:${id.length}`, draining: false, startedAtMs: 0 })
    const report = ClusterCommand.formatStatus(
      {
        askedNode: "n1",
        nodes: [
          { ...member("n1"), info: info("n1", 100), unreachable: undefined },
          { ...member("n22"), info: info("n22", 50.26), unreachable: undefined },
          { ...member("n333"), info: undefined, unreachable: "connect ECONNREFUSED 127.0.0.1:4" }
        ],
        partitions: [
          { correlatorId: "soc", partition: 0, owner: { nodeId: "n1", epoch: 3 }, progress: { epoch: 3, appliedSequence: 40, checkpointSequence: 30, lag: 2 } },
          { correlatorId: "soc", partition: 1, owner: { nodeId: "n333", epoch: 4 }, progress: undefined }
        ],
        routers: [{ correlatorId: "soc", partition: 2, owner: { nodeId: "n22", epoch: 5 }, progress: { epoch: 5, appliedSequence: 90, checkpointSequence: 80, lag: undefined } }],
        total: { eventsReceivedPerSecond: 150.26, eventsStoredPerSecond: 75.13, correlationEventsPerSecond: 0.5 }
      },
      "127.0.0.1:2"
    )
    expect(report).toMatch(row(["n1", "127\\.0\\.0\\.1:2", "no", "100\\.0", "50\\.0", "0\\.3"]))
    expect(report).toMatch(row(["n333", "127\\.0\\.0\\.1:4", "no", "unreachable", "unreachable", "unreachable"]))
    expect(report).toMatch(row(["total", "2 of 3 answered", "150\\.3", "75\\.1", "0\\.5"]))
    expect(report).toContain("Member n333 did not answer: connect ECONNREFUSED 127.0.0.1:4")
    expect(report).toContain("Correlator soc: 2 partition(s), 2 owned, 0 unowned, 1 reporting progress")
    expect(report).toMatch(row(["0", "n1", "3", "40", "30", "2"]))
    expect(report).toMatch(row(["1", "n333", "4", "-", "-", "unknown"]))
    expect(report).toMatch(row(["router", "n22", "5", "90", "80", "unknown"]))
  })

  it.live(
    "status exits 1 saying the node cannot be reached when nothing listens",
    () =>
      Effect.gen(function* () {
        const closed = yield* closedAddress
        const unreachable = yield* Effect.promise(() => corvus(["cluster", "status", "--control", closed]))
        expect(unreachable.code).toBe(1)
        expect(unreachable.stdout).toBe("")
        expect(unreachable.stderr.trim()).toBe(
          `corvus cluster status: cannot reach a node's control plane at ${closed} (connect ECONNREFUSED ${closed}). Is a node running there? Point --control at one.`
        )
      }),
    Timeout
  )

  // In process (each spawn costs seconds of CPU): the commands' own exit statuses and messages.
  it.live("drain exits 1 when nothing listens; --help exits 0 with the options; usage errors exit 2 and say what is wrong", () =>
    Effect.gen(function* () {
      const closed = yield* closedAddress
      const run = (main: (args: ReadonlyArray<string>) => Effect.Effect<number>, args: ReadonlyArray<string>) => captured(main(args))
      const drainUnreachable = yield* run(NodeCommand.main, ["drain", "--control", closed])
      expect(drainUnreachable.code).toBe(1)
      expect(drainUnreachable.stderr).toContain(`corvus node drain: cannot reach a node's control plane at ${closed}`)

      for (const [main, args, usage] of [
        [ClusterCommand.main, ["--help"], "Usage: corvus cluster status"],
        [ClusterCommand.main, ["status", "-h"], "Usage: corvus cluster status"],
        [NodeCommand.main, ["drain", "--help"], "Usage: corvus node drain"]
      ] as const) {
        const help = yield* run(main, args)
        expect(help.code).toBe(0)
        expect(help.stdout).toContain(usage)
        expect(help.stdout).toContain("--control <host:port>   the node's control plane (default 127.0.0.1:7225)")
      }

      for (const [main, args, message] of [
        [NodeCommand.main, [], "corvus node: missing subcommand"],
        [NodeCommand.main, ["restart"], 'corvus node: unknown subcommand "restart"'],
        [ClusterCommand.main, ["status", "extra"], 'corvus cluster: unknown subcommand "status extra"'],
        [ClusterCommand.main, ["status", "--control", "localhost"], "corvus cluster: --control must be host:port, not 'localhost'"],
        [ClusterCommand.main, ["status", "--frobnicate"], "corvus cluster: Unknown option '--frobnicate'"]
      ] as const) {
        const refused = yield* run(main, args)
        expect(refused.code, args.join(" ")).toBe(2)
        expect(refused.stderr).toContain(message)
        expect(refused.stdout).toBe("")
      }
    }))
})
