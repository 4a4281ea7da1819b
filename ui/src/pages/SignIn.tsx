// Sign-in: login and password to a console session (POST /api/v1/login). The API's refusal
// (401, or 429 with its wait) is shown in its own words.
import { useState } from "preact/hooks"
import { failureText, signIn } from "../api.ts"

export function SignIn(props: { readonly onSignedIn: () => void }) {
  const [login, setLogin] = useState("")
  const [password, setPassword] = useState("")
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)

  const submit = async (event: Event) => {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      await signIn(login, password)
      props.onSignedIn()
    } catch (failure) {
      setError(failureText(failure))
    } finally {
      setBusy(false)
    }
  }

  return (
    <main class="sign-in">
      <form onSubmit={submit} aria-label="Sign in">
        <h1>Corvus</h1>
        <p class="muted">Security event correlation console</p>
        <label>
          Login
          <input name="login" autocomplete="username" required autofocus value={login} onInput={(event) => setLogin(event.currentTarget.value)} />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required value={password} onInput={(event) => setPassword(event.currentTarget.value)} />
        </label>
        {error !== undefined ? (
          <p role="alert" class="error">
            {error}
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  )
}
