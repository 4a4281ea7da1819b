// Who is calling: a user with roles per tenant. The general administrator holds every tenant.
import type { TenantId } from "../model/Ids.ts"

export type Role = "general-administrator" | "tenant-administrator" | "tier-2-analyst" | "tier-1-analyst" | "junior-analyst"

export interface Principal {
  readonly id: string
  readonly login: string
  readonly name: string
  readonly email: string
  /** Roles per tenant; the only source of what the caller may see. */
  readonly roles: ReadonlyMap<TenantId, Role>
}

/** Tenants the principal may see, narrowed to `requested` when that is not empty. */
export const visibleTenants = (principal: Principal, requested: ReadonlyArray<string>): Array<TenantId> => {
  const held = [...principal.roles.keys()]
  if (requested.length === 0) return held
  const wanted = new Set(requested)
  return held.filter((tenantId) => wanted.has(tenantId))
}
