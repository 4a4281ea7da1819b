// Active lists of a RUNNING correlator through the REST API (SPEC §7 activeLists), against a real
// single node (embedded layers, started in this process): a CSV import reaches the partition's
// engine through its input subject, a rule using inActiveList then fires only for imported keys
// (and reads the imported fields), GET activeLists shows the live record count right after the
// import, `clear` empties the list, and a node started after the first one stopped (restoring
// its checkpoint, replaying the rest) still holds what was imported. The same on real NATS
// JetStream and Cassandra: a list's records read from the partition's owner, a deleted key that
// no longer fires, an export that imports back to the same records, and a restart that keeps the
// deletion.
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { activeListIdOf } from "../gateway/ActiveListImporter.ts"
import { CorrelatorId } from "../model/Ids.ts"
import { partsOf } from "./ActiveListBridge.ts"
import { Deployment } from "../model/Deployment.ts"
import { apiGet, send } from "../test/support/api.ts"
import { throwawayCluster } from "../test/support/clusterLayers.ts"
import { eventually } from "../test/support/eventually.ts"
import { sendLines } from "../test/support/sendLines.ts"
import { TestAdminToken, testNodeOptions } from "../test/support/testNode.ts"
import * as ControlClient from "./control/ControlClient.ts"
import { EventBus } from "./EventBus.ts"
import * as Node from "./Node.ts"
import * as NodeLayers from "./NodeLayers.ts"
import * as TopicsModule from "./Topics.ts"
import { Topics, type CorrelationRecord, type PartitionMatch } from "./Topics.ts"

const Timeout = 90_000
const AdminToken = TestAdminToken

const deployment = Schema.decodeUnknownSync(Deployment)({
  tenants: [
    { id: "main", name: "Main", main: true },
    { id: "acme", name: "Acme", main: false }
  ],
  collectors: [{ id: "acme-tcp", tenantId: "acme", name: "Acme TCP", connector: { kind: "tcp", host: "127.0.0.1", port: 0 }, normalizer: "json" }],
  correlators: [
    {
      id: "watch",
      tenantId: "main",
      name: "Watch",
      sources: [{ tenantId: "acme" }],
      activeLists: [{ name: "blocked" }],
      rules: [
        {
          kind: "simple",
          id: "blocked-login",
          name: "Blocked login",
          selector: { filter: { and: [{ field: "DeviceAction", op: "=", value: "login" }, { op: "inActiveList", list: "blocked", keyFields: ["SourceAddress"] }] } },
          actions: [
            {
              trigger: "onEveryEvent",
              activeLists: [{ op: "get", list: "blocked", keyFields: ["SourceAddress"], mapping: [{ listField: "reason", eventField: "Message" }] }],
              enrichment: [{ target: "SourceAddress", source: { field: "SourceAddress" } }]
            }
          ]
        },
        // Fires for every canary: once it has, every event sent before it was applied.
        { kind: "simple", id: "canary", name: "Canary", selector: { filter: { field: "DeviceAction", op: "=", value: "canary" } } }
      ]
    }
  ]
})

const nodeOptions = (nodeId: string, mode: Node.NodeOptions["mode"] = "embedded"): Node.NodeOptions => testNodeOptions(nodeId, { mode })

interface ListSummary {
  readonly id: string
  readonly name: string
  readonly count: number
}

describe("active lists of a running correlator", () => {
  it.live(
    "a CSV import makes an inActiveList rule fire only for imported keys, GET shows the count at once, clear empties the list, and a restarted node keeps the records",
    () =>
      Effect.gen(function* () {
        const bus = yield* EventBus
        const topics = yield* Topics
        // Every correlation event the cluster writes, read back from the bus.
        const written: Array<CorrelationRecord> = []
        yield* bus.read(topics.correlations, topics.correlations.subjects[0]!, 1, 100, (batch) => Effect.sync(() => written.push(...batch.map(({ record }) => record))))
        const start = Date.now()
        let sent = 0
        let canaries = 0

        const session = <E>(nodeId: string, phase: (node: Node.NodeHandle) => Effect.Effect<void, E>) =>
          Effect.scoped(
            Effect.gen(function* () {
              const node = yield* Node.run(deployment, nodeOptions(nodeId))
              const client = yield* ControlClient.make(node.controlAddress)
              yield* eventually(client.getPartitionTable(), (table) => [...table.partitions, ...table.routers].every((entry) => entry.owner?.nodeId === nodeId))
              yield* phase(node)
            })
          )

        const lists = (node: Node.NodeHandle) => Effect.promise(() => apiGet<Array<ListSummary>>(node.apiUrl!, "/api/v1/activeLists?correlatorID=watch", AdminToken))
        const importCsv = (node: Node.NodeHandle, csv: string, clear: boolean) =>
          Effect.promise(() =>
            send(`${node.apiUrl!}/api/v1/activeLists/import?correlatorID=watch&activeListName=blocked&format=csv&keyField=address${clear ? "&clear" : ""}`, {
              method: "POST",
              headers: { authorization: `Bearer ${AdminToken}`, "content-type": "text/csv" },
              body: csv
            })
          )
        // Logins from `addresses`, then a canary; answers the blocked logins fired since, once the canary fired.
        const logins = (node: Node.NodeHandle, addresses: ReadonlyArray<string>) =>
          Effect.gen(function* () {
            const before = written.length
            const port = node.collectorPorts.get(deployment.collectors[0]!.id)!
            const line = (fields: Record<string, string>) => JSON.stringify({ Timestamp: new Date(start + 1_000 * sent++).toISOString(), ...fields })
            yield* Effect.promise(() => sendLines("127.0.0.1", port, [...addresses.map((address) => line({ DeviceAction: "login", SourceAddress: address })), line({ DeviceAction: "canary" })]))
            canaries++
            yield* eventually(
              Effect.sync(() => written.filter((record) => record.ruleId === "canary").length),
              (count) => count >= canaries
            )
            return written
              .slice(before)
              .filter((record) => record.ruleId === "blocked-login")
              .map((record) => [record.event.SourceAddress, record.event.Message])
          })

        yield* session("lists-node-1", (node) =>
          Effect.gen(function* () {
            const listId = activeListIdOf("watch", "blocked")
            expect(yield* lists(node)).toEqual({ status: 200, body: [{ id: listId, name: "blocked", count: 0 }] })
            expect(yield* logins(node, ["10.0.0.1"])).toEqual([])

            const imported = yield* importCsv(node, "address,reason\n10.0.0.1,scanner\n10.0.0.2,tor\n", false)
            expect(imported.status).toBe(204)
            // The import answers once the engine holds the records.
            expect((yield* lists(node)).body).toEqual([{ id: listId, name: "blocked", count: 2 }])
            expect(yield* logins(node, ["10.0.0.1", "10.0.0.3", "10.0.0.2"])).toEqual([
              ["10.0.0.1", "scanner"],
              ["10.0.0.2", "tor"]
            ])

            // clear: only the new file's keys remain.
            expect((yield* importCsv(node, "address,reason\n10.0.0.3,botnet\n", true)).status).toBe(204)
            expect((yield* lists(node)).body).toEqual([{ id: listId, name: "blocked", count: 1 }])
            expect(yield* logins(node, ["10.0.0.1", "10.0.0.3"])).toEqual([["10.0.0.3", "botnet"]])

            // An unknown list is refused before anything is sent.
            const unknown = yield* Effect.promise(() =>
              send(`${node.apiUrl!}/api/v1/activeLists/import?correlatorID=watch&activeListName=nope&format=csv&keyField=address`, {
                method: "POST",
                headers: { authorization: `Bearer ${AdminToken}`, "content-type": "text/csv" },
                body: "address\n10.0.0.9\n"
              })
            )
            expect(unknown.status).toBe(404)
            expect((yield* Effect.promise(() => apiGet<unknown>(node.apiUrl!, "/api/v1/activeLists?correlatorID=nobody", AdminToken))).status).toBe(404)
          })
        )

        // A later node restores the partition from its checkpoint and the subject: the import is kept.
        yield* session("lists-node-2", (node) =>
          Effect.gen(function* () {
            expect((yield* lists(node)).body).toEqual([{ id: activeListIdOf("watch", "blocked"), name: "blocked", count: 1 }])
            expect(yield* logins(node, ["10.0.0.2", "10.0.0.3"])).toEqual([["10.0.0.3", "botnet"]])
            // clear with a file of no records empties the list.
            expect((yield* importCsv(node, "address,reason\n", true)).status).toBe(204)
            expect((yield* lists(node)).body).toEqual([{ id: activeListIdOf("watch", "blocked"), name: "blocked", count: 0 }])
            expect(yield* logins(node, ["10.0.0.3"])).toEqual([])
          })
        )
      }).pipe(Effect.scoped, Effect.provide(NodeLayers.embedded(":memory:")), Effect.orDie),
    Timeout
  )
})

interface ListRecord {
  readonly key: string
  readonly fields: Record<string, string>
  readonly createdAt: string | null
  readonly expiresAt: string | null
}

const cluster = throwawayCluster("lists")

afterAll(cluster.cleanup, 60_000)

describe("active list records of a running correlator on NATS JetStream and Cassandra", () => {
  it.live(
    "records are read from the partition's owner with a key filter, a deleted key no longer fires, an export imports back to the same records, and a restarted node keeps the deletion",
    () =>
      Effect.gen(function* () {
        const bus = yield* EventBus
        const topics = yield* Topics
        const written: Array<CorrelationRecord> = []
        yield* bus.read(topics.correlations, topics.correlations.subjects[0]!, 1, 100, (batch) => Effect.sync(() => written.push(...batch.map(({ record }) => record))))
        const start = Date.now()
        let sent = 0
        let canaries = 0
        const authorized = { authorization: `Bearer ${AdminToken}` }

        const session = <E>(nodeId: string, phase: (node: Node.NodeHandle) => Effect.Effect<void, E>) =>
          Effect.scoped(
            Effect.gen(function* () {
              const node = yield* Node.run(deployment, nodeOptions(nodeId, "cluster"))
              const client = yield* ControlClient.make(node.controlAddress)
              yield* eventually(client.getPartitionTable(), (table) => [...table.partitions, ...table.routers].every((entry) => entry.owner?.nodeId === nodeId))
              yield* phase(node)
            })
          )
        const records = (node: Node.NodeHandle, search = "") =>
          Effect.promise(() => apiGet<Array<ListRecord>>(node.apiUrl!, `/api/v1/activeLists/records?correlatorID=watch&activeListName=blocked${search}`, AdminToken))
        const keysOf = (node: Node.NodeHandle, search = "") => Effect.map(records(node, search), (answer) => answer.body.map((record) => record.key))
        const importFile = (node: Node.NodeHandle, file: string, format: string, clear: boolean) =>
          Effect.promise(() =>
            send(`${node.apiUrl!}/api/v1/activeLists/import?correlatorID=watch&activeListName=blocked&format=${format}${format === "internal" ? "" : "&keyField=address"}${clear ? "&clear" : ""}`, {
              method: "POST",
              headers: { ...authorized, "content-type": "text/plain" },
              body: file
            })
          )
        const exportFile = (node: Node.NodeHandle, format: string) =>
          Effect.promise(() => send(`${node.apiUrl!}/api/v1/activeLists/export?correlatorID=watch&activeListName=blocked&format=${format}`, { headers: authorized }))
        const deleteKeys = (node: Node.NodeHandle, keys: ReadonlyArray<string>) =>
          Effect.promise(() =>
            send(`${node.apiUrl!}/api/v1/activeLists/records/delete`, {
              method: "POST",
              headers: { ...authorized, "content-type": "application/json" },
              body: JSON.stringify({ correlatorID: "watch", activeListID: activeListIdOf("watch", "blocked"), keys })
            })
          )
        // Logins from `addresses`, then a canary; answers the blocked logins fired since, once the canary fired.
        const logins = (node: Node.NodeHandle, addresses: ReadonlyArray<string>) =>
          Effect.gen(function* () {
            const before = written.length
            const port = node.collectorPorts.get(deployment.collectors[0]!.id)!
            const line = (fields: Record<string, string>) => JSON.stringify({ Timestamp: new Date(start + 1_000 * sent++).toISOString(), ...fields })
            yield* Effect.promise(() => sendLines("127.0.0.1", port, [...addresses.map((address) => line({ DeviceAction: "login", SourceAddress: address })), line({ DeviceAction: "canary" })]))
            canaries++
            yield* eventually(
              Effect.sync(() => written.filter((record) => record.ruleId === "canary").length),
              (count) => count >= canaries
            )
            return written
              .slice(before)
              .filter((record) => record.ruleId === "blocked-login")
              .map((record) => record.event.SourceAddress)
          })

        yield* session("nats-lists-1", (node) =>
          Effect.gen(function* () {
            expect((yield* importFile(node, "address,reason\n10.0.0.2,tor\n10.0.0.1,scanner\nfe80::1,\"link, local\"\n", "csv", false)).status).toBe(204)
            const listed = yield* records(node)
            expect(listed.status).toBe(200)
            expect(listed.body.map(({ key, fields, expiresAt }) => ({ key, fields, expiresAt }))).toEqual([
              { key: "10.0.0.1", fields: { address: "10.0.0.1", reason: "scanner" }, expiresAt: null },
              { key: "10.0.0.2", fields: { address: "10.0.0.2", reason: "tor" }, expiresAt: null },
              { key: "fe80::1", fields: { address: "fe80::1", reason: "link, local" }, expiresAt: null }
            ])
            expect(listed.body.every((record) => record.createdAt !== null && !Number.isNaN(Date.parse(record.createdAt)))).toBe(true)
            expect(yield* keysOf(node, `&key=${encodeURIComponent("^10\\.0\\.0\\.[2-9]$")}`)).toEqual(["10.0.0.2"])
            expect(yield* keysOf(node, "&page=2")).toEqual([])
            expect(yield* logins(node, ["10.0.0.1", "10.0.0.2"])).toEqual(["10.0.0.1", "10.0.0.2"])

            // The deletion answers once the engine applied it: the rule no longer fires for that key.
            expect((yield* deleteKeys(node, ["10.0.0.1", "10.9.9.9"])).status).toBe(204)
            expect(yield* keysOf(node)).toEqual(["10.0.0.2", "fe80::1"])
            expect((yield* lists(node)).body).toEqual([{ id: activeListIdOf("watch", "blocked"), name: "blocked", count: 2 }])
            expect(yield* logins(node, ["10.0.0.1", "10.0.0.2"])).toEqual(["10.0.0.2"])

            // Export, clear, import the file back: the same records, in each format.
            const before = (yield* records(node)).body.map(({ key, fields }) => ({ key, fields }))
            for (const format of ["csv", "tsv", "internal"]) {
              const file = yield* exportFile(node, format)
              expect(file.status, file.text).toBe(200)
              expect((yield* importFile(node, file.text, format, true)).status).toBe(204)
              expect((yield* records(node)).body.map(({ key, fields }) => ({ key, fields })), format).toEqual(before)
            }
            expect(yield* logins(node, ["10.0.0.1", "fe80::1"])).toEqual(["fe80::1"])
          })
        )

        // A later node restores the partition from its checkpoint and replays the subject: the deletion holds.
        yield* session("nats-lists-2", (node) =>
          Effect.gen(function* () {
            expect(yield* keysOf(node)).toEqual(["10.0.0.2", "fe80::1"])
            expect(yield* logins(node, ["10.0.0.1", "10.0.0.2"])).toEqual(["10.0.0.2"])
          })
        )

        function lists(node: Node.NodeHandle) {
          return Effect.promise(() => apiGet<Array<ListSummary>>(node.apiUrl!, "/api/v1/activeLists?correlatorID=watch", AdminToken))
        }
      }).pipe(
        Effect.scoped,
        Effect.provide(cluster.layers()),
        Effect.orDie
      ),
    Timeout
  )
})

describe("an import on the wire", () => {
  it("is cut into parts of at most 2000 records in order, one empty part for none", () => {
    const records = Array.from({ length: 4_500 }, (_, index) => ({ key: `k${index}`, fields: { n: String(index) } }))
    const parts = partsOf(records)
    expect(parts.map((part) => part.length)).toEqual([2_000, 2_000, 500])
    expect(parts.flat()).toEqual(records)
    expect(partsOf([])).toEqual([[]])
    // Large records cut by size: no part above ~256 KiB.
    const large = Array.from({ length: 10 }, (_, index) => ({ key: `k${index}`, fields: { blob: "x".repeat(100_000) } }))
    expect(partsOf(large).map((part) => part.length)).toEqual([2, 2, 2, 2, 2])
  })

  it("a list import match survives encode and decode, and each part has its own de-duplication id", () => {
    const topics = TopicsModule.make("wire")
    const match = (part: number): PartitionMatch => ({
      correlatorId: CorrelatorId.make("watch"),
      partition: 0,
      streamTime: null,
      listImport: { importId: `import-1.${part}`, list: "blocked", records: [{ key: "10.0.0.1", fields: { reason: "scanner" } }], clear: part === 0, at: 1_700_000_000_000 }
    })
    expect(topics.matches.decode(topics.matches.encode(match(0)))).toEqual(match(0))
    expect(topics.matches.idOf(match(0))).not.toBe(topics.matches.idOf(match(1)))
    const malformed = new TextEncoder().encode(JSON.stringify({ ...match(0), listImport: { ...match(0).listImport, records: [{ key: 1, fields: {} }] } }))
    expect(() => topics.matches.decode(malformed)).toThrow("list import record invalid")
  })

  it("a deletion (a list import with deleteKeys) survives encode and decode, and keys that are not strings are refused", () => {
    const topics = TopicsModule.make("wire")
    const deletion: PartitionMatch = {
      correlatorId: CorrelatorId.make("watch"),
      partition: 0,
      streamTime: null,
      listImport: { importId: "delete-1.0", list: "blocked", records: [], clear: false, deleteKeys: ["10.0.0.1", "fe80::1"], at: 1_700_000_000_000 }
    }
    expect(topics.matches.decode(topics.matches.encode(deletion))).toEqual(deletion)
    const malformed = new TextEncoder().encode(JSON.stringify({ ...deletion, listImport: { ...deletion.listImport, deleteKeys: ["10.0.0.1", 7] } }))
    expect(() => topics.matches.decode(malformed)).toThrow("list import deleteKeys invalid")
  })
})
