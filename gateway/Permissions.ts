// What each role may do, as one table the routes consult (SPEC §7, roles; issue 7). A role is
// held per tenant, so a permission is always "this action in that tenant".
import type { Role } from "../model/User.ts"

export type Action =
  | "alerts.read"
  | "alerts.manage"
  | "incidents.read"
  | "incidents.manage"
  | "events.search"
  | "resources.read"
  | "resources.manage"
  | "resources.transfer"
  | "activeLists.read"
  | "activeLists.import"
  | "assets.read"
  | "assets.manage"
  | "services.read"
  | "services.manage"
  | "users.read"
  | "users.manage"
  | "tenants.read"
  | "cluster.read"
  | "storage.manage"
  | "settings.manage"

const Everyone: ReadonlyArray<Role> = ["general-administrator", "tenant-administrator", "tier-2-analyst", "tier-1-analyst", "junior-analyst"]
const Analysts: ReadonlyArray<Role> = ["general-administrator", "tenant-administrator", "tier-2-analyst", "tier-1-analyst"]
const RulesAndIntake: ReadonlyArray<Role> = ["general-administrator", "tenant-administrator", "tier-2-analyst"]
const Administrators: ReadonlyArray<Role> = ["general-administrator", "tenant-administrator"]

/**
 * The roles allowed each action. General administrators hold their role in the main tenant
 * and act in every tenant; "cluster.read" is theirs alone (the cluster is everyone's).
 */
export const Permissions: { readonly [A in Action]: ReadonlyArray<Role> } = {
  "alerts.read": Everyone,
  "alerts.manage": Analysts,
  "incidents.read": Everyone,
  "incidents.manage": Analysts,
  "events.search": Everyone,
  "resources.read": Everyone,
  "resources.manage": RulesAndIntake,
  "resources.transfer": RulesAndIntake,
  "activeLists.read": Everyone,
  "activeLists.import": RulesAndIntake,
  "assets.read": Everyone,
  "assets.manage": RulesAndIntake,
  "services.read": Everyone,
  "services.manage": RulesAndIntake,
  "users.read": Administrators,
  "users.manage": Administrators,
  "tenants.read": Everyone,
  "cluster.read": ["general-administrator"],
  "storage.manage": Administrators,
  "settings.manage": Administrators
}

/** Whether `role` may perform `action` in the tenant it is held in. */
export const allows = (role: Role, action: Action): boolean => Permissions[action].includes(role)
