// "Create user": login, name, e-mail, password and a role per tenant -> POST /api/v1/users; the
// API's refusal (a taken login, a role the administrator may not grant) shown verbatim.
import { useEffect, useRef, useState } from "preact/hooks"
import { api } from "../api.ts"
import { useAction } from "../hooks.ts"
import { useSession } from "../session.ts"
import { grantList, UserRolePicker, type Grants, type User } from "./UserRoles.tsx"

export function UserCreateDialog(props: { readonly onClose: () => void; readonly onCreated: (user: User) => void }) {
  const session = useSession()
  const dialog = useRef<HTMLDialogElement>(null)
  const [login, setLogin] = useState("")
  const [name, setName] = useState("")
  const [email, setEmail] = useState("")
  const [password, setPassword] = useState("")
  const [grants, setGrants] = useState<Grants>({})
  const { busy, error, run } = useAction()

  useEffect(() => {
    const element = dialog.current
    if (element !== null && !element.open) element.showModal()
  }, [])

  const submit = async (event: Event) => {
    event.preventDefault()
    const created = await run(() => api<User>("POST", "users", { body: { login, name, email, password, roles: grantList(grants) } }))
    if (created !== undefined) props.onCreated(created)
  }

  return (
    <dialog ref={dialog} aria-label="Create user" class="user-dialog" onClose={props.onClose}>
      <form onSubmit={submit} class="form-grid">
        <h2>Create user</h2>
        <label>
          Login
          <input required maxLength={128} pattern="\S+" autocomplete="off" value={login} onInput={(event) => setLogin(event.currentTarget.value)} />
        </label>
        <label>
          Name
          <input maxLength={256} value={name} onInput={(event) => setName(event.currentTarget.value)} />
        </label>
        <label>
          E-mail
          <input type="email" maxLength={256} value={email} onInput={(event) => setEmail(event.currentTarget.value)} />
        </label>
        <label>
          Password (at least 8 characters)
          <input type="password" required minLength={8} autocomplete="new-password" value={password} onInput={(event) => setPassword(event.currentTarget.value)} />
        </label>
        <UserRolePicker session={session} grants={grants} onChange={setGrants} />
        {error !== undefined ? <p role="alert">{error}</p> : null}
        <div class="buttons">
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            Create user
          </button>
        </div>
      </form>
    </dialog>
  )
}
