// The console's frame: sign-in until a session exists, then the navigation and the page the
// hash names. Who is signed in and which tenants they see is loaded once per session.
import { useEffect, useState } from "preact/hooks"
import { api, onSignedOut, signedIn, signOut } from "./api.ts"
import { useApi } from "./hooks.ts"
import { ActiveListsPage } from "./pages/ActiveLists.tsx"
import { AlertsPage } from "./pages/Alerts.tsx"
import { ClusterPage } from "./pages/Cluster.tsx"
import { EventsPage } from "./pages/Events.tsx"
import { IncidentsPage } from "./pages/Incidents.tsx"
import { RulesPage } from "./pages/Rules.tsx"
import { SignIn } from "./pages/SignIn.tsx"
import { TenantsPage } from "./pages/Tenants.tsx"
import { UsersPage } from "./pages/Users.tsx"
import { href, useRoute } from "./router.ts"
import { SessionContext, type Session, type Tenant, type Whoami } from "./session.ts"

interface PageEntry {
  readonly page: string
  readonly title: string
  readonly render: () => preact.JSX.Element
  /** Shown to general administrators only (the cluster spans every tenant). */
  readonly generalOnly?: boolean
}

const Pages: ReadonlyArray<PageEntry> = [
  { page: "alerts", title: "Alerts", render: () => <AlertsPage /> },
  { page: "events", title: "Events", render: () => <EventsPage /> },
  { page: "incidents", title: "Incidents", render: () => <IncidentsPage /> },
  { page: "rules", title: "Rules", render: () => <RulesPage /> },
  { page: "active-lists", title: "Active lists", render: () => <ActiveListsPage /> },
  { page: "tenants", title: "Tenants", render: () => <TenantsPage /> },
  { page: "users", title: "Users", render: () => <UsersPage /> },
  { page: "cluster", title: "Cluster", render: () => <ClusterPage />, generalOnly: true }
]

const loadSession = async (): Promise<Session> => {
  const [user, tenants] = await Promise.all([api<Whoami>("GET", "users/whoami"), api<ReadonlyArray<Tenant>>("GET", "tenants")])
  const main = tenants.find((tenant) => tenant.main)?.id ?? "main"
  return { user, tenants, generalAdministrator: user.tenants.some((held) => held.id === main && held.role === "general-administrator") }
}

function Console(props: { readonly onSignOut: () => void }) {
  const route = useRoute()
  const session = useApi(loadSession, [])
  if (session.data === undefined) {
    return <main class="loading">{session.error !== undefined ? <p role="alert">{session.error}</p> : <p>Loading…</p>}</main>
  }
  const visible = Pages.filter((entry) => entry.generalOnly !== true || session.data!.generalAdministrator)
  const current = visible.find((entry) => entry.page === route.page) ?? visible[0]!
  return (
    <SessionContext.Provider value={session.data}>
      <div class="frame">
        <header class="top">
          <a class="brand" href={href("alerts")}>
            Corvus
          </a>
          <nav aria-label="Pages">
            {visible.map((entry) => (
              <a key={entry.page} href={href(entry.page)} aria-current={entry === current ? "page" : undefined}>
                {entry.title}
              </a>
            ))}
          </nav>
          <span class="who" title={session.data.user.tenants.map((held) => `${held.name}: ${held.role}`).join("\n")}>
            {session.data.user.name} ({session.data.user.login})
          </span>
          <button type="button" class="link" onClick={() => void signOut().finally(props.onSignOut)}>
            Sign out
          </button>
        </header>
        <main class="page">{current.render()}</main>
      </div>
    </SessionContext.Provider>
  )
}

/** The whole console. */
export function App() {
  const [session, setSession] = useState(signedIn())
  useEffect(() => onSignedOut(() => setSession(false)), [])
  return session ? <Console onSignOut={() => setSession(false)} /> : <SignIn onSignedIn={() => setSession(true)} />
}
