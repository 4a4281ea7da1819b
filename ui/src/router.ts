// Hash routing: `#/alerts?status=new` -> { page: "alerts", rest: [], query }. Links are plain
// anchors, so the browser's history, back button and new tabs work without a server route.
import { useEffect, useState } from "preact/hooks"

export interface Route {
  readonly page: string
  /** Path segments after the page, e.g. an alert id. */
  readonly rest: ReadonlyArray<string>
  readonly query: URLSearchParams
}

const parse = (hash: string): Route => {
  const [path = "", search = ""] = hash.replace(/^#\/?/, "").split("?", 2)
  const [page = "", ...rest] = path.split("/").filter((segment) => segment !== "").map(decodeURIComponent)
  return { page, rest, query: new URLSearchParams(search) }
}

/** The current route; re-renders on every hash change. */
export const useRoute = (): Route => {
  const [route, setRoute] = useState(() => parse(location.hash))
  useEffect(() => {
    const update = () => setRoute(parse(location.hash))
    addEventListener("hashchange", update)
    return () => removeEventListener("hashchange", update)
  }, [])
  return route
}

/** The href of a page: `href("alerts", [id], {status: "new"})`. */
export const href = (page: string, rest: ReadonlyArray<string> = [], query: Readonly<Record<string, string>> = {}): string => {
  const search = new URLSearchParams(query).toString()
  return `#/${[page, ...rest].map(encodeURIComponent).join("/")}${search === "" ? "" : `?${search}`}`
}

/** Goes to a page. */
export const navigate = (target: string): void => {
  location.hash = target.replace(/^#/, "")
}
