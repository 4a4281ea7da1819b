// The general administrator created at start: every tenant, the main one included.
import type { Tenant } from "../model/Tenant.ts"
import type { Principal } from "./Principal.ts"

export const adminPrincipal = (tenants: ReadonlyArray<Tenant>): Principal => ({
  id: "admin",
  login: "admin",
  name: "General administrator",
  email: "",
  roles: new Map(tenants.map((tenant) => [tenant.id, "general-administrator" as const]))
})
