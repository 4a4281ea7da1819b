// The one gate for a tenant a request names to act in: a tenant where the caller holds no role
// answers exactly as an unknown one (404), a role there without the permission is 403.
import type { TenantId } from "../model/Ids.ts"
import { ApiError } from "./ApiError.ts"
import type { Action } from "./Permissions.ts"
import { mayIn, type Principal } from "./Principal.ts"

/** The tenant, once the caller may perform `action` in it; `refusal` is the 403's details. */
export const tenantToActIn = (principal: Principal, action: Action, tenantId: string, refusal = `your role in tenant ${tenantId} does not allow this`): TenantId => {
  if (!principal.roles.has(tenantId as TenantId)) throw new ApiError(404, "tenant not found", "")
  if (!mayIn(principal, action, tenantId)) throw new ApiError(403, "access denied", refusal)
  return tenantId as TenantId
}
