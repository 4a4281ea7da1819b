// The REST API v1 as a fastify app: auth hook, one plugin per area, one error handler that
// answers `{message, details}` and never leaks internals.
import Fastify, { type FastifyInstance } from "fastify"
import type { ApiContext } from "./ApiContext.ts"
import { ApiError } from "./ApiError.ts"
import { authenticate } from "./Auth.ts"
import { alertsRoutes } from "./routes/alerts.ts"
import { clusterRoutes } from "./routes/cluster.ts"
import { eventsRoutes } from "./routes/events.ts"
import { activeListsRoutes } from "./routes/activeLists.ts"
import { assetsRoutes } from "./routes/assets.ts"
import { incidentsRoutes } from "./routes/incidents.ts"
import { resourcesRoutes } from "./routes/resources.ts"
import { servicesRoutes } from "./routes/services.ts"
import { sessionRoutes } from "./routes/session.ts"
import { tenantsRoutes } from "./routes/tenants.ts"
import { usersRoutes } from "./routes/users.ts"

/** Registers /api/v1 on `app` (used by the API server and by the console's same-origin API). */
export const registerApi = async (app: FastifyInstance, context: ApiContext): Promise<void> => {
  await app.register(
    async (api) => {
      api.addHook("onRequest", async (request) => {
        request.principal = await authenticate(context, request)
      })
      await api.register(alertsRoutes(context))
      await api.register(eventsRoutes(context))
      await api.register(clusterRoutes(context))
      await api.register(usersRoutes(context))
      await api.register(tenantsRoutes(context))
      await api.register(incidentsRoutes(context))
      await api.register(assetsRoutes(context))
      await api.register(servicesRoutes(context))
      await api.register(resourcesRoutes(context))
      await api.register(activeListsRoutes(context))
    },
    { prefix: "/api/v1" }
  )
  // Sign-in comes before any token: its own plugin, outside the bearer hook.
  await app.register(sessionRoutes(context), { prefix: "/api/v1" })
}

/** Maps every error to the KUMA body; validation errors are 400 with the validator's words. */
export const installErrorHandler = (app: FastifyInstance, context: ApiContext): void => {
  app.setErrorHandler((error: unknown, _request, reply) => {
    if (error instanceof ApiError) return reply.status(error.statusCode).send({ message: error.message, details: error.details })
    const fastifyError = error as { validation?: unknown; statusCode?: number; message?: string }
    if (fastifyError.validation !== undefined) return reply.status(400).send({ message: "invalid request", details: fastifyError.message ?? "" })
    if (typeof fastifyError.statusCode === "number" && fastifyError.statusCode < 500) {
      return reply.status(fastifyError.statusCode).send({ message: fastifyError.message ?? "bad request", details: "" })
    }
    context.logInternal("unhandled API error", error)
    return reply.status(500).send({ message: "internal error", details: "" })
  })
  app.setNotFoundHandler((_request, reply) => reply.status(404).send({ message: "not found", details: "" }))
}

/** Builds the API app (not listening yet). */
export const buildApiServer = async (context: ApiContext): Promise<FastifyInstance> => {
  const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 })
  installErrorHandler(app, context)
  await registerApi(app, context)
  return app
}
