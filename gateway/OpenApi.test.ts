// The served OpenAPI document describes every route of /api/v1 (issue 7, point 1): it is
// generated from the schemas the routes validate with, so a route without one shows up here.
import { afterAll, describe, expect, it } from "vitest"
import { embeddedGatewayRuntime } from "../test/support/gatewayUsers.ts"
import type { ApiContext } from "./ApiContext.ts"
import { installErrorHandler, makeApp, registerApi } from "./ApiServer.ts"

const runtime = embeddedGatewayRuntime()
afterAll(() => runtime.dispose())

interface OpenApiDocument {
  readonly openapi: string
  readonly paths: Record<string, Record<string, { readonly responses?: Record<string, unknown>; readonly parameters?: ReadonlyArray<unknown> }>>
}

describe("GET /api/v1/openapi.json", () => {
  it("lists every API route with its method and declared responses, needs no token, and its paths use OpenAPI's {param} form", async () => {
    const app = makeApp()
    const routes: Array<{ method: string; url: string; hidden: boolean }> = []
    app.addHook("onRoute", (route) => {
      for (const method of [route.method].flat()) routes.push({ method: method.toLowerCase(), url: route.url, hidden: (route.schema as { hide?: boolean } | undefined)?.hide === true })
    })
    const context: ApiContext = { run: (effect) => runtime.runPromiseExit(effect), tenants: [], logInternal: () => {} }
    installErrorHandler(app, context)
    await registerApi(app, context)
    await app.ready()

    const response = await app.inject({ method: "GET", url: "/api/v1/openapi.json" })
    expect(response.statusCode).toBe(200)
    const document = response.json() as OpenApiDocument
    expect(document.openapi).toMatch(/^3\./)

    const api = routes.filter((route) => route.url.startsWith("/api/v1/") && !route.hidden && route.method !== "head")
    expect(api.length).toBeGreaterThan(3)
    for (const route of api) {
      const path = route.url.replace(/:([A-Za-z0-9_]+)/g, "{$1}")
      const operation = document.paths[path]?.[route.method]
      expect(operation, `${route.method.toUpperCase()} ${path} is missing from the document`).toBeDefined()
      expect(Object.keys(operation?.responses ?? {}), `${route.method.toUpperCase()} ${path} declares no response`).not.toEqual([])
    }
    await app.close()
  })
})
