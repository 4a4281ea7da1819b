// The Users page (issue 8): the users of the tenants the signed-in administrator may see (GET
// users), each with its tenants and roles; administrators create users and change roles or
// disable them. A user who may not list users sees the API's refusal, not a broken page.
import { useState } from "preact/hooks"
import { api, ApiFailure } from "../api.ts"
import { DataTable } from "../components/DataTable.tsx"
import { UserCreateDialog } from "../components/UserCreateDialog.tsx"
import { UserDetail } from "../components/UserDetail.tsx"
import { isAdministrator, type User } from "../components/UserRoles.tsx"
import { time } from "../format.ts"
import { useApi } from "../hooks.ts"
import { useSession } from "../session.ts"
import "./Users.css"

interface Listing {
  readonly users?: ReadonlyArray<User>
  /** The API's refusal to list users (403 for a role without user administration). */
  readonly refused?: string
}

const loadUsers = async (login: string, administrator: boolean): Promise<Listing> => {
  // Only administrators may list users: others are told so without a request the API would refuse.
  if (!administrator) return { refused: "not allowed: listing users needs an administrator's role" }
  try {
    return { users: await api<ReadonlyArray<User>>("GET", "users", { query: { login: login === "" ? undefined : login } }) }
  } catch (failure) {
    if (failure instanceof ApiFailure && failure.status === 403) return { refused: failure.text }
    throw failure
  }
}

export function UsersPage() {
  const session = useSession()
  const [filter, setFilter] = useState("")
  const [applied, setApplied] = useState("")
  const [selected, setSelected] = useState<string | undefined>(undefined)
  const [creating, setCreating] = useState(false)
  const [changed, setChanged] = useState<User | undefined>(undefined)
  const admin = isAdministrator(session)
  const listing = useApi(() => loadUsers(applied, admin), [applied, admin])
  const rows = (listing.data?.users ?? []).map((user) => (changed !== undefined && changed.id === user.id ? changed : user))
  const current = rows.find((user) => user.id === selected)

  return (
    <section class="users-page">
      <h1>Users</h1>
      {listing.data?.refused !== undefined ? (
        <div class="panel">
          <p role="status" class="error">{listing.data.refused}</p>
          <p class="muted">
            You are signed in as {session.user.login} with {session.user.tenants.map((held) => `${held.role} in ${held.name}`).join(", ")}.
          </p>
        </div>
      ) : (
        <>
          <form
            class="toolbar"
            onSubmit={(event) => {
              event.preventDefault()
              setApplied(filter)
            }}
          >
            <label>
              Login (regular expression)
              <input value={filter} onInput={(event) => setFilter(event.currentTarget.value)} />
            </label>
            <button type="submit">Search</button>
            <span class="spacer" />
            {admin ? (
              <button type="button" class="primary" onClick={() => setCreating(true)}>
                Create user
              </button>
            ) : null}
          </form>
          {listing.error !== undefined ? <p role="alert">{listing.error}</p> : null}
          <div class="split">
            <DataTable<User>
              label="Users"
              rows={rows}
              rowKey={(user) => user.id}
              selected={selected}
              onSelect={(user) => setSelected(user.id)}
              onOpen={(user) => setSelected(user.id)}
              empty={listing.loading && listing.data === undefined ? "Loading…" : "No users."}
              columns={[
                { title: "Tenant", cell: (user) => user.roles.map((held) => held.tenantName).join(", ") },
                { title: "Login", cell: (user) => user.login, nowrap: true },
                { title: "Name", cell: (user) => user.name },
                { title: "E-mail", cell: (user) => user.email },
                // Each role beside the tenant it is held in: roles are per tenant.
                { title: "Roles", cell: (user) => user.roles.map((held) => <div key={held.tenantID}>{`${held.tenantName}: ${held.role}`}</div>) },
                { title: "Status", cell: (user) => (user.disabled ? <span class="badge status-closed">disabled</span> : "enabled"), nowrap: true },
                { title: "Updated", cell: (user) => time(user.updatedAt), nowrap: true }
              ]}
            />
            {current !== undefined ? (
              <UserDetail
                key={`${current.id}/${current.updatedAt}`}
                user={current}
                onChanged={(user) => {
                  setChanged(user)
                  listing.reload()
                }}
              />
            ) : (
              <aside class="panel muted">Select a user to see their roles.</aside>
            )}
          </div>
        </>
      )}
      {creating ? (
        <UserCreateDialog
          onClose={() => setCreating(false)}
          onCreated={(user) => {
            setCreating(false)
            setSelected(user.id)
            listing.reload()
          }}
        />
      ) : null}
    </section>
  )
}
