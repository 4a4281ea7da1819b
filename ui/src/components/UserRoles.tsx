// Users as GET /api/v1/users answers them, and the role picker (one role, or none, per tenant the
// signed-in administrator may grant in) the create dialog and the detail pane share.
import type { Session } from "../session.ts"

export const Roles = ["general-administrator", "tenant-administrator", "tier-2-analyst", "tier-1-analyst", "junior-analyst"] as const
export type Role = (typeof Roles)[number]

export interface UserRole {
  readonly tenantID: string
  readonly tenantName: string
  readonly role: Role
}

export interface User {
  readonly id: string
  readonly login: string
  readonly name: string
  readonly email: string
  readonly disabled: boolean
  readonly createdAt: string
  readonly updatedAt: string
  readonly roles: ReadonlyArray<UserRole>
}

/** tenant id -> role; a tenant left out holds none. */
export type Grants = Readonly<Record<string, Role>>

export { failureText } from "../api.ts"

/** Whether the signed-in user administers any tenant (may list and create users). */
export const isAdministrator = (session: Session): boolean =>
  session.generalAdministrator || session.user.tenants.some((held) => held.role === "tenant-administrator" || held.role === "general-administrator")

/** The tenants the signed-in user may grant roles in: every tenant for a general administrator, else those they administer. */
export const grantableTenants = (session: Session): ReadonlyArray<{ readonly id: string; readonly name: string; readonly main: boolean }> =>
  session.generalAdministrator
    ? session.tenants
    : session.tenants.filter((tenant) => session.user.tenants.some((held) => held.id === tenant.id && held.role === "tenant-administrator"))

export const grantsOf = (roles: ReadonlyArray<UserRole>): Grants => Object.fromEntries(roles.map((held) => [held.tenantID, held.role]))

export const grantList = (grants: Grants): Array<{ tenantID: string; role: Role }> => Object.entries(grants).map(([tenantID, role]) => ({ tenantID, role }))

export function UserRolePicker(props: { readonly session: Session; readonly grants: Grants; readonly onChange: (grants: Grants) => void; readonly disabled?: boolean }) {
  const tenants = grantableTenants(props.session)
  return (
    <fieldset class="user-roles" disabled={props.disabled === true}>
      <legend>Roles</legend>
      {tenants.map((tenant) => (
        <label key={tenant.id}>
          {tenant.name}
          <select
            value={props.grants[tenant.id] ?? ""}
            onChange={(event) => {
              const value = event.currentTarget.value
              const next: Record<string, Role> = { ...props.grants }
              if (value === "") delete next[tenant.id]
              else next[tenant.id] = value as Role
              props.onChange(next)
            }}
          >
            <option value="">no role</option>
            {Roles.filter((role) => role !== "general-administrator" || (tenant.main && props.session.generalAdministrator)).map((role) => (
              <option key={role} value={role}>
                {role}
              </option>
            ))}
          </select>
        </label>
      ))}
    </fieldset>
  )
}
