// The console's only way to the server: the public REST API v1 on the console's own origin,
// with the session token from sign-in as the bearer. Errors arrive as KUMA's {message, details}.

/** A refused request, carrying the API's own words. */
export class ApiFailure extends Error {
  constructor(readonly status: number, message: string, readonly details: string) {
    super(message)
  }
  /** The message and details as one line, the way the console shows them. */
  get text(): string {
    return this.details === "" ? this.message : `${this.message}: ${this.details}`
  }
}

/** Any failure as the console shows it: the API's own words for an ApiFailure. */
export const failureText = (failure: unknown): string => (failure instanceof ApiFailure ? failure.text : String(failure))

const TokenKey = "corvus.session"
let token: string | null = sessionStorage.getItem(TokenKey)
const signedOutListeners = new Set<() => void>()

/** Whether a session token is held. */
export const signedIn = (): boolean => token !== null

/** Called when the server no longer accepts the token (expired, revoked, password changed). */
export const onSignedOut = (listener: () => void): (() => void) => {
  signedOutListeners.add(listener)
  return () => signedOutListeners.delete(listener)
}

const forget = () => {
  token = null
  sessionStorage.removeItem(TokenKey)
  for (const listener of signedOutListeners) listener()
}

const failureOf = async (response: Response): Promise<ApiFailure> => {
  const body = (await response.json().catch(() => ({}))) as { message?: unknown; details?: unknown }
  return new ApiFailure(response.status, typeof body.message === "string" ? body.message : response.statusText, typeof body.details === "string" ? body.details : "")
}

/** Query parameters; arrays repeat the parameter (KUMA's "any of"), `true` is a present flag. */
export type Query = Readonly<Record<string, string | number | boolean | ReadonlyArray<string> | undefined>>

/** `/api/v1/<path>?<query>` with KUMA's conventions for repeated and flag parameters. */
export const apiUrl = (path: string, query: Query = {}): string => {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === false) continue
    if (value === true) search.append(name, "")
    else if (typeof value === "object") for (const item of value) search.append(name, item)
    else search.append(name, String(value))
  }
  const text = search.toString().replace(/=(&|$)/g, "$1")
  return `/api/v1/${path}${text === "" ? "" : `?${text}`}`
}

/** A request body sent as it is (a file), with its own content type, instead of JSON. */
export interface RawBody {
  readonly raw: Blob
  readonly contentType: string
}

const isRaw = (body: unknown): body is RawBody => typeof body === "object" && body !== null && (body as Partial<RawBody>).raw instanceof Blob

/** Calls the API; resolves with the JSON body (undefined for 204), rejects with ApiFailure. */
export const api = async <T,>(method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", path: string, options: { query?: Query; body?: unknown } = {}): Promise<T> => {
  const headers: Record<string, string> = {}
  if (token !== null) headers["authorization"] = `Bearer ${token}`
  const body = options.body
  if (body !== undefined) headers["content-type"] = isRaw(body) ? body.contentType : "application/json"
  const response = await fetch(apiUrl(path, options.query), {
    method,
    headers,
    ...(body !== undefined ? { body: isRaw(body) ? body.raw : JSON.stringify(body) } : {})
  })
  if (!response.ok) {
    const failure = await failureOf(response)
    // 403 "invalid token" means the session is over; other 403s are a role's limits.
    if (response.status === 403 && failure.message === "invalid token") forget()
    throw failure
  }
  if (response.status === 204) return undefined as T
  const type = response.headers.get("content-type") ?? ""
  return (type.includes("json") ? await response.json() : await response.text()) as T
}

/** Signs in with a login and password; the session token is kept for this browser tab. */
export const signIn = async (login: string, password: string): Promise<void> => {
  const answer = await api<{ token: string; expiresAt: string }>("POST", "login", { body: { login, password } })
  token = answer.token
  sessionStorage.setItem(TokenKey, answer.token)
}

/** Ends the session on the server (best effort) and here. */
export const signOut = async (): Promise<void> => {
  try {
    if (token !== null) await api("POST", "logout")
  } finally {
    forget()
  }
}
