// The service lifecycle on the real NATS (SPEC §7, KUMA's services): a service record created with
// POST /services on a gateway node is paired when a second node starts a collector with that id
// (paired, green, one "service paired" audit); a restart through the gateway's API reaches that
// node over the control plane, the collector reopens the same port and takes events again, and
// "service restarted" is audited with the node; a clean stop of the last node greys it.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option, Schema, Scope } from "effect"
import { afterAll } from "vitest"
import { Deployment } from "../model/Deployment.ts"
import { TenantId } from "../model/Ids.ts"
import { MatchAll } from "../model/Filter.ts"
import { ServiceId } from "../model/Service.ts"
import * as DuckDb from "../storage/embedded/DuckDb.ts"
import * as DuckDbCheckpointStore from "../storage/embedded/DuckDbCheckpointStore.ts"
import { EventStore } from "../storage/EventStore.ts"
import { ServiceStore } from "../storage/ServiceStore.ts"
import { apiGet, apiPost, send } from "../test/support/api.ts"
import { natsBus, natsOwnership } from "../test/support/clusterLayers.ts"
import { eventually } from "../test/support/eventually.ts"
import { provisionUsers } from "../test/support/gatewayUsers.ts"
import { deleteBucketsWithPrefix } from "../test/support/kvCleanup.ts"
import { deleteStreams } from "../test/support/natsCleanup.ts"
import { sendLines } from "../test/support/sendLines.ts"
import { uniqueSuffix } from "../test/support/testIds.ts"
import { testNodeOptions } from "../test/support/testNode.ts"
import * as Node from "./Node.ts"
import * as NodeLayers from "./NodeLayers.ts"
import * as Topics from "./Topics.ts"

const clusterName = `svc${uniqueSuffix()}`
afterAll(async () => {
  await deleteStreams(`CORVUS_${clusterName.toUpperCase()}_`)
  await deleteBucketsWithPrefix(`CORVUS_${clusterName.toUpperCase()}_`)
})

const Acme = TenantId.make("acme")
const tenants = [
  { id: "main", name: "Main", main: true },
  { id: "acme", name: "Acme", main: false }
]
const AcmeToken = "acme-t2-token"

// One DuckDB stands in for the cluster's shared store; the bus is NATS, and each node has its own
// membership, leases and registry on NATS (built in the node's scope).
const layers = Layer.mergeAll(
  NodeLayers.embeddedStores.pipe(Layer.provide(DuckDb.layer(":memory:"))),
  DuckDbCheckpointStore.layerEmbedded.pipe(Layer.provide(DuckDb.layer(":memory:"))),
  natsBus(),
  Topics.layer(clusterName)
)

/** Starts a node in a scope of its own, to be closed by the test. */
const startNode = (deployment: Deployment, options: Node.NodeOptions) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    const ownership = yield* Layer.build(natsOwnership(clusterName)).pipe(Scope.extend(scope))
    const node = yield* Node.run(deployment, options).pipe(Effect.provide(ownership), Scope.extend(scope))
    return { node, stop: Scope.close(scope, Exit.void) }
  })

const nodeOptions = (nodeId: string, edgeRoles: ReadonlyArray<Node.EdgeRole>): Node.NodeOptions => testNodeOptions(nodeId, { mode: "cluster", partitions: 1, edgeRoles })

/** The audit events (type 4) of one action about one service. */
const audited = (action: string, serviceId: string) =>
  Effect.flatMap(EventStore, (store) => store.search({ tenantIds: [TenantId.make("main")], from: Date.now() - 3_600_000, to: Date.now() + 3_600_000, filter: MatchAll, order: "asc", limit: 1_000 })).pipe(
    Effect.map((events) => events.filter((event) => event.Type === 4 && event.Name === action && event.Extra?.serviceID === serviceId))
  )

/** Acme's stored base events carrying `marker` in their message. */
const storedWith = (marker: string) =>
  Effect.flatMap(EventStore, (store) => store.search({ tenantIds: [Acme], from: Date.now() - 3_600_000, to: Date.now() + 3_600_000, filter: MatchAll, order: "asc", limit: 1_000 })).pipe(
    Effect.map((events) => events.filter((event) => event.Message === marker))
  )

describe("service lifecycle on NATS", () => {
  it.live(
    "a record created by POST is paired by the node that starts its collector, restarted through the API on the same port with the restart audited, and greyed when the node stops",
    () =>
      Effect.gen(function* () {
        const { node: gateway, stop: stopGateway } = yield* startNode(Schema.decodeUnknownSync(Deployment)({ tenants, collectors: [], correlators: [] }), nodeOptions("svc-gateway", ["gateway"]))
        yield* provisionUsers([{ login: "acme-t2", token: AcmeToken, roles: [["acme", "tier-2-analyst"]] }])
        const created = yield* Effect.promise(() => apiPost<{ id: string; paired: boolean; status: string }>(gateway.apiUrl!, "/api/v1/services", AcmeToken, { tenantID: "acme", name: "Acme TCP", kind: "collector" }))
        expect(created.status).toBe(201)
        expect(created.body).toMatchObject({ paired: false, status: "grey" })
        const serviceId = created.body.id

        const deployment = Schema.decodeUnknownSync(Deployment)({
          tenants,
          collectors: [{ id: serviceId, tenantId: "acme", name: "Acme TCP collector", connector: { kind: "tcp", host: "127.0.0.1", port: 0 }, normalizer: "json" }],
          correlators: []
        })
        const { node: intake, stop: stopIntake } = yield* startNode(deployment, nodeOptions("svc-intake", ["collector", "store"]))

        // Paired and green, the console's name kept, one "service paired" audit.
        const record = Option.getOrThrow(yield* Effect.flatMap(ServiceStore, (store) => store.get(Acme, ServiceId.make(serviceId))))
        expect(record).toMatchObject({ paired: true, status: "green", name: "Acme TCP", tenantID: "acme" })
        const listed = yield* Effect.promise(() => apiGet<Array<{ id: string; paired: boolean; status: string }>>(gateway.apiUrl!, `/api/v1/services?id=${serviceId}&paired`, AcmeToken))
        expect(listed.body).toEqual([expect.objectContaining({ id: serviceId, paired: true, status: "green" })])
        const paired = yield* audited("service paired", serviceId)
        expect(paired).toHaveLength(1)
        expect(paired[0]!.Extra).toMatchObject({ serviceID: serviceId, node: "svc-intake", tenantID: "acme" })

        const port = intake.collectorPorts.get(deployment.collectors[0]!.id)!
        const line = (marker: string) => JSON.stringify({ Timestamp: new Date().toISOString(), Message: marker })
        yield* Effect.promise(() => sendLines("127.0.0.1", port, [line("before restart")]))
        yield* eventually(storedWith("before restart"), (events) => events.length === 1)

        // The gateway node reaches the intake node over the control plane; a foreign caller gets nothing.
        const restart = (token: string) =>
          Effect.promise(() => send(`${gateway.apiUrl!}/api/v1/services/${serviceId}/restart`, { method: "POST", headers: { authorization: `Bearer ${token}` } }))
        expect((yield* restart(AcmeToken)).status).toBe(204)
        const restarted = yield* audited("service restarted", serviceId)
        expect(restarted).toHaveLength(1)
        expect(restarted[0]!.SourceUserName).toBe("acme-t2")
        expect(restarted[0]!.Extra).toMatchObject({ serviceID: serviceId, node: "svc-intake" })

        // The same port takes events again; a restart is not a new pairing.
        expect(intake.collectorPorts.get(deployment.collectors[0]!.id)).toBe(port)
        yield* Effect.promise(() => sendLines("127.0.0.1", port, [line("after restart")]))
        yield* eventually(storedWith("after restart"), (events) => events.length === 1)
        expect(yield* audited("service paired", serviceId)).toHaveLength(1)

        // The gateway leaves first; the intake node then stops cleanly as the last member and greys its collector.
        yield* stopGateway
        yield* stopIntake
        const stopped = Option.getOrThrow(yield* Effect.flatMap(ServiceStore, (store) => store.get(Acme, ServiceId.make(serviceId))))
        expect(stopped).toMatchObject({ paired: true, status: "grey" })
        const changes = yield* audited("service status changed", serviceId)
        expect(changes.map((event) => [event.Extra?.from, event.Extra?.to])).toContainEqual(["green", "grey"])
      }).pipe(Effect.provide(layers), Effect.orDie),
    120_000
  )
})
