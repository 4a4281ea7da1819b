// The console server: serves the web console built into ui/dist (`npm run ui:build`, run by
// `npm start` and `npm test`) and the same /api/v1 on its own origin, so the browser needs no
// cross-origin access to the API port.
import fastifyStatic from "@fastify/static"
import type { FastifyInstance } from "fastify"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import type { ApiContext } from "./ApiContext.ts"
import { installErrorHandler, makeApp, registerApi, type ServerIdentity } from "./ApiServer.ts"

const UiDirectory = fileURLToPath(new URL("../ui/dist/", import.meta.url))

/** Builds the console app (not listening yet). */
export const buildConsoleServer = async (context: ApiContext, identity?: ServerIdentity): Promise<FastifyInstance> => {
  const app = makeApp(identity)
  installErrorHandler(app, context)
  await registerApi(app, context)
  if (!existsSync(UiDirectory)) {
    // The API still serves; the page says how to build what is missing instead of a bare 404.
    app.get("/", async (_request, reply) => reply.type("text/plain").send("The console is not built: run `npm run ui:build` (npm start does).\n"))
    return app
  }
  // Built file names carry a content hash, so they may be cached for good; index.html never.
  await app.register(fastifyStatic, {
    root: UiDirectory,
    index: "index.html",
    setHeaders: (response, path) => response.setHeader("cache-control", path.endsWith("index.html") ? "no-cache" : "public, max-age=31536000, immutable")
  })
  return app
}
