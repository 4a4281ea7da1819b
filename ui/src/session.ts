// Who is signed in (GET users/whoami) and the tenants they see (GET tenants), shared by every
// page through a context.
import { createContext } from "preact"
import { useContext } from "preact/hooks"

/** A tenant the user holds a role in, as whoami names it. */
export interface TenantRole {
  readonly id: string
  readonly name: string
  readonly role: string
}

export interface Whoami {
  readonly id: string
  readonly name: string
  readonly login: string
  readonly email: string
  readonly tenants: ReadonlyArray<TenantRole>
}

export interface Tenant {
  readonly id: string
  readonly name: string
  readonly main: boolean
}

export interface Session {
  readonly user: Whoami
  readonly tenants: ReadonlyArray<Tenant>
  /** Whether the user is a general administrator (a role in the main tenant that spans all). */
  readonly generalAdministrator: boolean
}

export const SessionContext = createContext<Session | undefined>(undefined)

/** The signed-in session; pages render only inside it. */
export const useSession = (): Session => {
  const session = useContext(SessionContext)
  if (session === undefined) throw new Error("useSession outside a signed-in console")
  return session
}

/** The tenant's name, for the tenant column every row shows. */
export const tenantName = (session: Session, tenantId: string): string => session.tenants.find((tenant) => tenant.id === tenantId)?.name ?? tenantId

/** The user's role in a tenant: a general administrator's role spans every tenant. */
export const roleIn = (session: Session, tenantId: string): string | undefined =>
  session.generalAdministrator ? "general-administrator" : session.user.tenants.find((held) => held.id === tenantId)?.role

// A display hint only, mirroring the server's permission table for the buttons it would refuse;
// the API stays the authority and its refusal is still shown when it comes.
const ReadOnlyRoles = new Set(["junior-analyst"])

/** Whether the user's role in the tenant may work on alerts and incidents (assign, close, link). */
export const mayTriage = (session: Session, tenantId: string): boolean => {
  const role = roleIn(session, tenantId)
  return role !== undefined && !ReadOnlyRoles.has(role)
}
