// A tiny REST client for end-to-end tests: real HTTP or HTTPS against the gateway. HTTPS trusts
// only the CA certificate it is given (the installation's), as a careful client would.
import { request } from "node:https"

export interface ApiResponse<A> {
  readonly status: number
  readonly body: A
}

export interface RawResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string | Array<string> | undefined>>
  readonly text: string
}

/** One request; `ca` (PEM) is required for an https URL and is the only root trusted. */
export const send = async (url: string, init: { readonly method?: string; readonly headers?: Record<string, string>; readonly body?: string; readonly ca?: string } = {}): Promise<RawResponse> => {
  if (!url.startsWith("https:")) {
    const response = await fetch(url, { method: init.method ?? "GET", headers: init.headers ?? {}, ...(init.body !== undefined ? { body: init.body } : {}) })
    return { status: response.status, headers: Object.fromEntries(response.headers.entries()), text: await response.text() }
  }
  if (init.ca === undefined) throw new Error(`an https request needs the CA to trust: ${url}`)
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: init.method ?? "GET", headers: init.headers ?? {}, ca: init.ca }, (response) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString("utf8") }))
      response.on("error", reject)
    })
    outgoing.on("error", reject)
    outgoing.end(init.body)
  })
}

export const apiGet = async <A>(baseUrl: string, path: string, token: string, ca?: string): Promise<ApiResponse<A>> => {
  const response = await send(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` }, ...(ca !== undefined ? { ca } : {}) })
  return { status: response.status, body: JSON.parse(response.text) as A }
}

export const apiPost = async <A>(baseUrl: string, path: string, token: string, body: unknown, ca?: string): Promise<ApiResponse<A>> => {
  const response = await send(`${baseUrl}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    ...(ca !== undefined ? { ca } : {})
  })
  return { status: response.status, body: (response.text === "" ? undefined : JSON.parse(response.text)) as A }
}
