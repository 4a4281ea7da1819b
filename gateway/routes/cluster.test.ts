// GET /api/v1/cluster against a real single node (embedded layers) over HTTP: the node's own
// control plane answers it, so the general administrator sees the member with its events per
// second and every partition and the router with owner, epoch, applied sequence and lag; anyone
// else is refused. With fastify inject: a control plane that does not answer is a 503 that leaks
// nothing, and a server without one says so.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { testNodeOptions } from "../../test/support/testNode.ts"
import * as Node from "../../cluster/Node.ts"
import * as NodeLayers from "../../cluster/NodeLayers.ts"
import { Deployment } from "../../model/Deployment.ts"
import { apiGet } from "../../test/support/api.ts"
import { eventually } from "../../test/support/eventually.ts"
import { embeddedGatewayRuntime, provisionUsers, type TestUser } from "../../test/support/gatewayUsers.ts"
import type { ApiContext } from "../ApiContext.ts"
import { buildApiServer } from "../ApiServer.ts"
import type { ClusterOverview } from "../ClusterOverview.ts"
import { provisionAdmin } from "../UserProvisioning.ts"
import { ClusterOverviewUnavailable } from "../ClusterOverview.ts"

const Partitions = 3

const deployment = Schema.decodeUnknownSync(Deployment)({
  tenants: [
    { id: "main", name: "Main", main: true },
    { id: "acme", name: "Acme", main: false }
  ],
  collectors: [],
  correlators: [
    {
      id: "soc",
      tenantId: "main",
      name: "SOC",
      sources: [{ tenantId: "acme" }],
      rules: [
        {
          kind: "standard",
          id: "brute-force",
          name: "Brute force",
          selectors: [{ filter: { field: "EventOutcome", op: "=", value: "failure" }, threshold: 5 }],
          identicalFields: ["SourceAddress"],
          windowSeconds: 600
        }
      ]
    }
  ]
})

// The acme administrator holds general administration in acme only: not the main tenant's, so not the cluster's.
const users: ReadonlyArray<TestUser> = [
  { login: "analyst", token: "analyst-token", roles: [["main", "tier-2-analyst"]] },
  { login: "acme-admin", token: "acme-admin-token", roles: [["acme", "general-administrator"]] }
]

describe("GET /api/v1/cluster", () => {
  it.live(
    "a general administrator sees the member with its rates and every partition and the router with owner, epoch, applied sequence and lag; others get 403, no token 400",
    () =>
      Effect.gen(function* () {
        const node = yield* Node.run(deployment, testNodeOptions("gw-node", { partitions: Partitions }))
        yield* provisionUsers(users)
        const view = yield* eventually(
          Effect.promise(() => apiGet<ClusterOverview>(node.apiUrl!, "/api/v1/cluster", "admin-token")),
          (response) => response.status === 200 && [...response.body.partitions, ...response.body.routers].every((entry) => entry.ownerNode === "gw-node" && entry.lag !== null)
        )
        expect(view.body.askedNode).toBe("gw-node")
        expect(view.body.nodes).toEqual([
          {
            nodeId: "gw-node",
            address: node.controlAddress,
            draining: false,
            reachable: true,
            eventsReceivedPerSecond: 0,
            eventsStoredPerSecond: 0,
            correlationEventsPerSecond: 0
          }
        ])
        expect(view.body.total).toEqual({ eventsReceivedPerSecond: 0, eventsStoredPerSecond: 0, correlationEventsPerSecond: 0 })
        expect(view.body.partitions.map((entry) => [entry.correlatorId, entry.partition, entry.lag, entry.appliedSequence])).toEqual([
          ["soc", 0, 0, 0],
          ["soc", 1, 0, 0],
          ["soc", 2, 0, 0]
        ])
        expect(view.body.partitions.every((entry) => typeof entry.epoch === "number" && entry.epoch > 0)).toBe(true)
        expect(view.body.routers).toMatchObject([{ correlatorId: "soc", partition: Partitions, ownerNode: "gw-node", lag: 0 }])

        for (const token of ["analyst-token", "acme-admin-token"]) {
          const refused = yield* Effect.promise(() => apiGet<{ message: string; details: string }>(node.apiUrl!, "/api/v1/cluster", token))
          expect(refused).toEqual({ status: 403, body: { message: "forbidden", details: "the cluster view is for general administrators" } })
        }
        const anonymous = yield* Effect.promise(() => fetch(`${node.apiUrl}/api/v1/cluster`))
        expect(anonymous.status).toBe(400)
      }).pipe(Effect.scoped, Effect.provide(NodeLayers.embedded(":memory:")), Effect.orDie),
    60_000
  )

  it("a control plane that does not answer is a 503 with no cause in the body; a server without one answers 503 too", async () => {
    const logged: Array<unknown> = []
    const runtime = embeddedGatewayRuntime()
    await runtime.runPromise(provisionAdmin("admin-token"))
    const base: ApiContext = { run: (effect) => runtime.runPromiseExit(effect), tenants: deployment.tenants, logInternal: (_message, cause) => logged.push(cause) }
    const failing = await buildApiServer({ ...base, cluster: Effect.fail(new ClusterOverviewUnavailable({ message: "control GetPartitionTable on 10.9.9.9:7225 failed" })) })
    const response = await failing.inject({ method: "GET", url: "/api/v1/cluster", headers: { authorization: "Bearer admin-token" } })
    expect(response.statusCode).toBe(503)
    expect(response.json()).toEqual({ message: "cluster view unavailable", details: "the node's control plane did not answer; retry later" })
    expect(response.body).not.toContain("10.9.9.9")
    expect(logged).toHaveLength(1)
    await failing.close()

    const without = await buildApiServer(base)
    const missing = await without.inject({ method: "GET", url: "/api/v1/cluster", headers: { authorization: "Bearer admin-token" } })
    expect([missing.statusCode, missing.json()]).toEqual([503, { message: "cluster view unavailable", details: "this server has no control plane to ask" }])
    await without.close()
    await runtime.dispose()
  })
})
