// The console's rules editing against a RUNNING node on NATS JetStream and Cassandra: the REST
// API lists the deployment's correlator at the registry's revision, shows its document, refuses a
// broken edit in exactly the words `corvus rules deploy` gets from the control plane (the field's
// path named), and a fixed edit deploys as the next revision, which GET then shows, audited
// "resource updated" by the gateway and "service reloaded" by the node.
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as grpc from "@grpc/grpc-js"
import { Effect, Schema } from "effect"
import { parse as parseYaml, stringify as toYaml } from "yaml"
import { Deployment } from "../model/Deployment.ts"
import { apiGet, send } from "../test/support/api.ts"
import { throwawayCluster } from "../test/support/clusterLayers.ts"
import { eventually } from "../test/support/eventually.ts"
import { TestAdminToken, testNodeOptions } from "../test/support/testNode.ts"
import * as ControlClient from "./control/ControlClient.ts"
import * as Node from "./Node.ts"

const Timeout = 120_000
const AdminToken = TestAdminToken

const deployment = Schema.decodeUnknownSync(Deployment)({
  tenants: [
    { id: "main", name: "Main", main: true },
    { id: "acme", name: "Acme", main: false }
  ],
  collectors: [{ id: "acme-tcp", tenantId: "acme", name: "Acme TCP", connector: { kind: "tcp", host: "127.0.0.1", port: 0 }, normalizer: "json" }],
  correlators: [
    {
      id: "logons",
      tenantId: "acme",
      name: "Acme logons",
      sources: [{ tenantId: "acme" }],
      rules: [
        {
          kind: "standard",
          id: "brute-force",
          name: "Brute force",
          selectors: [{ filter: { field: "EventOutcome", op: "=", value: "failure" }, threshold: 5 }],
          identicalFields: ["SourceAddress"],
          windowSeconds: 60
        }
      ]
    }
  ]
})

const cluster = throwawayCluster("rules")

afterAll(cluster.cleanup, 60_000)

interface Summary {
  readonly id: string
  readonly tenantID: string
  readonly tenantName: string
  readonly name: string
  readonly revision: number
  readonly rules: ReadonlyArray<{ readonly id: string; readonly name: string; readonly kind: string }>
  readonly partitions: number
}

describe("editing a running correlator's rules through the REST API", () => {
  it.live(
    "GET shows the deployment's revision, a broken document is refused with the control plane's words naming the field, a fixed one deploys as revision+1 that GET shows, audited",
    () =>
      Effect.gen(function* () {
        const node = yield* Node.run(deployment, testNodeOptions("rules-1", { mode: "cluster" }))
        const control = yield* ControlClient.make(node.controlAddress)
        yield* eventually(control.getPartitionTable(), (table) => [...table.partitions, ...table.routers].every((entry) => entry.owner?.nodeId === "rules-1"))
        const api = node.apiUrl!
        const authorized = { authorization: `Bearer ${AdminToken}`, "content-type": "application/json" }
        const request = (method: string, path: string, body?: unknown) =>
          Effect.promise(() => send(`${api}/api/v1${path}`, { method, headers: authorized, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }))

        // The list and the detail, at the revision the node seeded from its deployment.
        const listed = yield* Effect.promise(() => apiGet<Array<Summary>>(api, "/api/v1/correlators", AdminToken))
        expect(listed.status).toBe(200)
        expect(listed.body).toEqual([
          { id: "logons", tenantID: "acme", tenantName: "Acme", name: "Acme logons", revision: 1, rules: [{ id: "brute-force", name: "Brute force", kind: "standard" }], partitions: 2, activeLists: [] }
        ])
        const detail = yield* Effect.promise(() => apiGet<Summary & { document: string; spec: Record<string, unknown> }>(api, "/api/v1/correlators/logons", AdminToken))
        expect(detail.body.revision).toBe(1)
        expect(parseYaml(detail.body.document)).toEqual(detail.body.spec)

        // A broken edit of that YAML: the rule's window is no longer a number.
        const edited = parseYaml(detail.body.document) as { name: string; rules: Array<Record<string, unknown>> }
        edited.rules[0]!.windowSeconds = "sixty"
        const broken = toYaml(edited)
        const validated = yield* request("POST", "/correlators/logons/validate", { document: broken, format: "yaml" })
        expect(validated.status, validated.text).toBe(400)
        const refusal = JSON.parse(validated.text) as { message: string; details: string }
        expect(refusal.message).toBe("invalid correlator document")
        expect(refusal.details).toContain("windowSeconds")
        // Word for word what `corvus rules deploy` is told by the control plane.
        const cli = yield* Effect.flip(control.deployCorrelator({ document: broken, format: "yaml" }))
        expect(cli.code).toBe(grpc.status.INVALID_ARGUMENT)
        expect(refusal.details).toBe(cli.detail)
        const put = yield* request("PUT", "/correlators/logons", { document: broken, format: "yaml" })
        expect(put.status).toBe(400)
        expect(put.text).toBe(validated.text)
        // A validation stores nothing.
        expect((yield* Effect.promise(() => apiGet<Summary>(api, "/api/v1/correlators/logons", AdminToken))).body.revision).toBe(1)

        // The fixed edit: valid, then deployed as the next revision.
        edited.rules[0]!.windowSeconds = 120
        edited.name = "Acme logons, wider window"
        const fixed = toYaml(edited)
        const valid = yield* request("POST", "/correlators/logons/validate", { document: fixed, format: "yaml" })
        expect(JSON.parse(valid.text)).toEqual({ valid: true, rules: 1, revision: 1 })
        const deployed = yield* request("PUT", "/correlators/logons", { document: fixed, format: "yaml" })
        expect(deployed.status, deployed.text).toBe(200)
        expect(JSON.parse(deployed.text)).toEqual({ revision: 2, created: true })
        const after = yield* Effect.promise(() => apiGet<Summary & { spec: { rules: Array<{ windowSeconds: number }> } }>(api, "/api/v1/correlators/logons", AdminToken))
        expect(after.body).toMatchObject({ name: "Acme logons, wider window", revision: 2 })
        expect(after.body.spec.rules[0]!.windowSeconds).toBe(120)

        // Both sides audited it: the gateway the rules' change, the node the reload.
        const now = Date.now()
        const period = { from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 3_600_000).toISOString() }
        yield* eventually(
          Effect.map(request("POST", "/events", { period, sql: "SELECT DeviceAction, Message FROM events WHERE Type = 4" }), (answer) =>
            (JSON.parse(answer.text) as Array<{ DeviceAction: string }>).map((row) => row.DeviceAction)
          ),
          (actions) => actions.includes("resource updated") && actions.includes("service reloaded")
        )
      }).pipe(Effect.scoped, Effect.provide(cluster.layers()), Effect.orDie),
    Timeout
  )
})
