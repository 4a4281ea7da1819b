// The console server: serves the web console from ui/ and the same /api/v1 on its own origin,
// so the browser needs no cross-origin access to the API port.
import fastifyStatic from "@fastify/static"
import type { FastifyInstance } from "fastify"
import { fileURLToPath } from "node:url"
import type { ApiContext } from "./ApiContext.ts"
import { installErrorHandler, makeApp, registerApi, type ServerIdentity } from "./ApiServer.ts"

const UiDirectory = fileURLToPath(new URL("../ui/", import.meta.url))

/** Builds the console app (not listening yet). */
export const buildConsoleServer = async (context: ApiContext, identity?: ServerIdentity): Promise<FastifyInstance> => {
  const app = makeApp(identity)
  installErrorHandler(app, context)
  await registerApi(app, context)
  await app.register(fastifyStatic, { root: UiDirectory, index: "index.html", allowedPath: (path) => !path.endsWith(".ts") })
  return app
}
