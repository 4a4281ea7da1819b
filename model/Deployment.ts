// What a node runs: tenants, collectors and correlators (with their rules), as one resource
// file in JSON or YAML. Later issues move these into the resource store and the REST API.
import { Schema } from "effect"
import { CollectorSpec } from "./Collector.ts"
import { CorrelatorSpec } from "./Rule.ts"
import { Tenant } from "./Tenant.ts"

export const Deployment = Schema.Struct({
  tenants: Schema.NonEmptyArray(Tenant),
  collectors: Schema.Array(CollectorSpec),
  correlators: Schema.Array(CorrelatorSpec)
})
export type Deployment = typeof Deployment.Type
export type DeploymentEncoded = typeof Deployment.Encoded

/** Decodes a deployment, failing with every path and reason. */
export const decodeDeployment = Schema.decodeUnknown(Deployment, { errors: "all" })
