// Users for gateway tests: provisioned in the node's own user store with known tokens, the way
// an administrator would create them, so requests authenticate through the real path.
import { Effect, Layer, ManagedRuntime } from "effect"
import * as NodeLayers from "../../cluster/NodeLayers.ts"
import type { TenantId } from "../../model/Ids.ts"
import type { Role } from "../../model/User.ts"
import * as DuckDb from "../../storage/embedded/DuckDb.ts"
import type { ApiContext } from "../../gateway/ApiContext.ts"
import { buildApiServer } from "../../gateway/ApiServer.ts"
import { provisionUser } from "../../gateway/UserProvisioning.ts"

export interface TestUser {
  readonly login: string
  readonly token: string
  readonly roles: ReadonlyArray<readonly [string, Role]>
  readonly password?: string
}

/** Provisions every user with its token. */
export const provisionUsers = (users: ReadonlyArray<TestUser>) =>
  Effect.forEach(
    users,
    (user) =>
      provisionUser({
        login: user.login,
        roles: user.roles.map(([tenantID, role]) => ({ tenantID: tenantID as TenantId, role })),
        token: user.token,
        ...(user.password !== undefined ? { password: user.password } : {})
      }),
    { discard: true }
  )

/** Every gateway store on an in-memory DuckDB, as a runtime for route tests that build the API server themselves. */
export const embeddedGatewayRuntime = () => ManagedRuntime.make(NodeLayers.embeddedStores.pipe(Layer.provide(DuckDb.layer(":memory:")), Layer.orDie))

/** The API server over a fresh in-memory runtime, for route tests with `inject()`. */
export const embeddedGatewayApp = async (tenants: ApiContext["tenants"], extra: Partial<ApiContext> = {}) => {
  const runtime = embeddedGatewayRuntime()
  const context: ApiContext = { run: (effect) => runtime.runPromiseExit(effect), tenants, logInternal: () => {}, ...extra }
  return { runtime, context, app: await buildApiServer(context) }
}
