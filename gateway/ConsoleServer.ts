// The console server: serves the web console from ui/ and the same /api/v1 on its own origin,
// so the browser needs no cross-origin access to the API port.
import fastifyStatic from "@fastify/static"
import Fastify, { type FastifyInstance } from "fastify"
import { fileURLToPath } from "node:url"
import type { ApiContext } from "./ApiContext.ts"
import { installErrorHandler, registerApi } from "./ApiServer.ts"

const UiDirectory = fileURLToPath(new URL("../ui/", import.meta.url))

/** Builds the console app (not listening yet). */
export const buildConsoleServer = async (context: ApiContext): Promise<FastifyInstance> => {
  const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 })
  installErrorHandler(app, context)
  await registerApi(app, context)
  await app.register(fastifyStatic, { root: UiDirectory, index: "index.html", allowedPath: (path) => !path.endsWith(".ts") })
  return app
}
