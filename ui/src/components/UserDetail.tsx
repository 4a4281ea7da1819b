// The selected user: account fields and roles; for an administrator, changing the roles in the
// tenants they administer and disabling or enabling the account (PATCH /api/v1/users/{id}). The
// API's refusals (nobody changes their own roles, nor disables themselves) are shown verbatim.
import { useState } from "preact/hooks"
import { api } from "../api.ts"
import { time } from "../format.ts"
import { useAction } from "../hooks.ts"
import { useSession } from "../session.ts"
import { grantableTenants, grantList, grantsOf, isAdministrator, UserRolePicker, type Grants, type User } from "./UserRoles.tsx"

export function UserDetail(props: { readonly user: User; readonly onChanged: (user: User) => void }) {
  const { user } = props
  const session = useSession()
  const [grants, setGrants] = useState<Grants>(() => grantsOf(user.roles))
  const [notice, setNotice] = useState<string | undefined>(undefined)
  const { busy, error, run } = useAction()
  const admin = isAdministrator(session)
  const self = user.id === session.user.id
  // Roles are replaced only in the tenants the administrator may grant in; others stay.
  const manageable = new Set(grantableTenants(session).map((tenant) => tenant.id))

  const patch = async (body: Record<string, unknown>, done: string) => {
    setNotice(undefined)
    const updated = await run(() => api<User>("PATCH", `users/${user.id}`, { body }))
    if (updated === undefined) return
    setGrants(grantsOf(updated.roles))
    setNotice(done)
    props.onChanged(updated)
  }

  return (
    <aside class="panel detail user-detail" aria-label="User">
      <h2>
        {user.name === "" ? user.login : user.name} {self ? <span class="muted">(you)</span> : null}
      </h2>
      <dl>
        <dt>Login</dt>
        <dd>{user.login}</dd>
        <dt>E-mail</dt>
        <dd>{user.email}</dd>
        <dt>Status</dt>
        <dd>{user.disabled ? <span class="badge status-closed">disabled</span> : <span class="badge priority-low">enabled</span>}</dd>
        <dt>Created</dt>
        <dd>{time(user.createdAt)}</dd>
        <dt>Updated</dt>
        <dd>{time(user.updatedAt)}</dd>
        <dt>ID</dt>
        <dd>
          <code>{user.id}</code>
        </dd>
      </dl>
      <h3>Roles held</h3>
      <ul class="user-role-list">
        {user.roles.map((held) => (
          <li key={held.tenantID}>
            {held.tenantName}: <strong>{held.role}</strong>
          </li>
        ))}
      </ul>
      {admin ? (
        <>
          <UserRolePicker session={session} grants={grants} onChange={setGrants} disabled={busy} />
          <div class="toolbar">
            <button type="button" disabled={busy} onClick={() => void patch({ roles: grantList(grants).filter((grant) => manageable.has(grant.tenantID)) }, "roles saved")}>
              Save roles
            </button>
            <button type="button" disabled={busy} onClick={() => void patch({ disabled: !user.disabled }, user.disabled ? "user enabled" : "user disabled")}>
              {user.disabled ? "Enable user" : "Disable user"}
            </button>
          </div>
        </>
      ) : null}
      {error !== undefined ? <p role="alert">{error}</p> : null}
      {notice !== undefined ? <p role="status" class="muted">{notice}</p> : null}
    </aside>
  )
}
