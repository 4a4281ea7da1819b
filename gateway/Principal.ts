// Who is calling: a user with roles per tenant. A general administrator (a role held in the
// main tenant) acts in every tenant.
import type { TenantId } from "../model/Ids.ts"
import { MainTenantId } from "../model/Tenant.ts"
import type { Role, User } from "../model/User.ts"
import { allows, type Action } from "./Permissions.ts"

export type { Role } from "../model/User.ts"

export interface Principal {
  readonly id: string
  readonly login: string
  readonly name: string
  readonly email: string
  /** Roles per tenant, general administration already spread over every tenant: the only source of what the caller may see. */
  readonly roles: ReadonlyMap<TenantId, Role>
}

/** The principal a user acts as, given the tenants that exist now. */
export const principalOfUser = (user: User, tenants: ReadonlyArray<TenantId>): Principal => {
  const general = user.roles.some((held) => held.tenantID === MainTenantId && held.role === "general-administrator")
  const roles = new Map<TenantId, Role>(general ? tenants.map((tenantId) => [tenantId, "general-administrator" as const]) : [])
  if (!general) for (const held of user.roles) roles.set(held.tenantID, held.role)
  return { id: user.id, login: user.login, name: user.name, email: user.email, roles }
}

/** Tenants where the principal may perform `action`, narrowed to `requested` when that is not empty. */
export const tenantsFor = (principal: Principal, action: Action, requested: ReadonlyArray<string> = []): Array<TenantId> => {
  const wanted = requested.length === 0 ? undefined : new Set(requested)
  const tenants: Array<TenantId> = []
  for (const [tenantId, role] of principal.roles) if (allows(role, action) && (wanted === undefined || wanted.has(tenantId))) tenants.push(tenantId)
  return tenants
}

/** Whether the principal may perform `action` in `tenantId`. */
export const mayIn = (principal: Principal, action: Action, tenantId: string): boolean => {
  const role = principal.roles.get(tenantId as TenantId)
  return role !== undefined && allows(role, action)
}

/** Tenants the principal may see at all, narrowed to `requested` when that is not empty. */
export const visibleTenants = (principal: Principal, requested: ReadonlyArray<string>): Array<TenantId> => {
  const held = [...principal.roles.keys()]
  if (requested.length === 0) return held
  const wanted = new Set(requested)
  return held.filter((tenantId) => wanted.has(tenantId))
}
