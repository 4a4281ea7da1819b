// GET /api/v1/cluster: the members with their events per second and every correlator partition
// with its owner, epoch, applied sequence and lag, as the node's control plane reports them. Only
// for a general administrator of the main tenant: the cluster's layout spans every tenant.
import type { FastifyPluginAsync } from "fastify"
import { MainTenantId } from "../../model/Tenant.ts"
import { runOrFail, type ApiContext } from "../ApiContext.ts"
import { ApiError, ErrorBody } from "../ApiError.ts"
import { principalOf } from "../Auth.ts"
import { mayIn } from "../Principal.ts"

const nullableNumber = { type: ["number", "null"] } as const
const nullableInteger = { type: ["integer", "null"] } as const

const EntryBody = {
  type: "object",
  properties: {
    correlatorId: { type: "string" },
    partition: { type: "integer" },
    ownerNode: { type: ["string", "null"] },
    epoch: nullableInteger,
    appliedSequence: nullableInteger,
    lag: nullableInteger
  },
  required: ["correlatorId", "partition", "ownerNode", "epoch", "appliedSequence", "lag"],
  additionalProperties: false
} as const

const RatesProperties = {
  eventsReceivedPerSecond: { type: "number" },
  eventsStoredPerSecond: { type: "number" },
  correlationEventsPerSecond: { type: "number" }
} as const

export const ClusterBody = {
  type: "object",
  properties: {
    askedNode: { type: "string" },
    nodes: {
      type: "array",
      items: {
        type: "object",
        properties: {
          nodeId: { type: "string" },
          address: { type: "string" },
          draining: { type: "boolean" },
          reachable: { type: "boolean" },
          eventsReceivedPerSecond: nullableNumber,
          eventsStoredPerSecond: nullableNumber,
          correlationEventsPerSecond: nullableNumber
        },
        required: ["nodeId", "address", "draining", "reachable", "eventsReceivedPerSecond", "eventsStoredPerSecond", "correlationEventsPerSecond"],
        additionalProperties: false
      }
    },
    total: { type: "object", properties: RatesProperties, required: Object.keys(RatesProperties), additionalProperties: false },
    partitions: { type: "array", items: EntryBody },
    routers: { type: "array", items: EntryBody }
  },
  required: ["askedNode", "nodes", "total", "partitions", "routers"],
  additionalProperties: false
} as const

export const clusterRoutes = (context: ApiContext): FastifyPluginAsync => async (app) => {
  const mainTenant = context.tenants.find((tenant) => tenant.main)?.id ?? MainTenantId

  app.get("/cluster", { schema: { response: { 200: ClusterBody, "4xx": ErrorBody, "5xx": ErrorBody } } }, async (request) => {
    if (!mayIn(principalOf(request), "cluster.read", mainTenant)) {
      throw new ApiError(403, "forbidden", "the cluster view is for general administrators")
    }
    const cluster = context.cluster
    if (cluster === undefined) throw new ApiError(503, "cluster view unavailable", "this server has no control plane to ask")
    return runOrFail(context, cluster, (error) => {
      context.logInternal("cluster view: the control plane did not answer", error)
      return new ApiError(503, "cluster view unavailable", "the node's control plane did not answer; retry later")
    })
  })
}
