// A tiny REST client for end-to-end tests: real HTTP against the gateway.

export interface ApiResponse<A> {
  readonly status: number
  readonly body: A
}

export const apiGet = async <A>(baseUrl: string, path: string, token: string): Promise<ApiResponse<A>> => {
  const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } })
  return { status: response.status, body: (await response.json()) as A }
}

export const apiPost = async <A>(baseUrl: string, path: string, token: string, body: unknown): Promise<ApiResponse<A>> => {
  const response = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body)
  })
  return { status: response.status, body: (await response.json()) as A }
}
