// The REST API v1 as a fastify app: auth hook, one plugin per area, one error handler that
// answers `{message, details}` and never leaks internals, and the OpenAPI document generated
// from the same JSON Schemas the routes validate with.
import fastifySwagger from "@fastify/swagger"
import Fastify, { type FastifyInstance } from "fastify"
import type { ApiContext } from "./ApiContext.ts"
import { ApiError } from "./ApiError.ts"
import { authenticate } from "./Auth.ts"
import { validationAnswer, type SchemaFailure } from "./ValidationAnswer.ts"
import { alertsRoutes } from "./routes/alerts.ts"
import { clusterRoutes } from "./routes/cluster.ts"
import { correlatorsRoutes } from "./routes/correlators.ts"
import { eventsRoutes } from "./routes/events.ts"
import { activeListsRoutes } from "./routes/activeLists.ts"
import { assetCategoriesRoutes } from "./routes/assetCategories.ts"
import { assetsRoutes } from "./routes/assets.ts"
import { incidentsRoutes } from "./routes/incidents.ts"
import { resourcesRoutes } from "./routes/resources.ts"
import { servicesRoutes } from "./routes/services.ts"
import { sessionRoutes } from "./routes/session.ts"
import { settingsRoutes } from "./routes/settings.ts"
import { storageRoutes } from "./routes/storage.ts"
import { tenantsRoutes } from "./routes/tenants.ts"
import { usersRoutes } from "./routes/users.ts"

/** Registers /api/v1 on `app` (used by the API server and by the console's same-origin API). */
export const registerApi = async (app: FastifyInstance, context: ApiContext): Promise<void> => {
  // Registered before the routes: it collects each route's schema as the route is added.
  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.0.3",
      info: { title: "Corvus REST API", version: "1", description: "KUMA-compatible REST API v1 of Corvus. Errors are {\"message\", \"details\"}." },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }]
    }
  })
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
      await api.register(assetCategoriesRoutes(context))
      await api.register(servicesRoutes(context))
      await api.register(resourcesRoutes(context))
      await api.register(activeListsRoutes(context))
      await api.register(storageRoutes(context))
      await api.register(settingsRoutes(context))
      await api.register(correlatorsRoutes(context))
    },
    { prefix: "/api/v1" }
  )
  // Sign-in comes before any token: its own plugin, outside the bearer hook.
  await app.register(sessionRoutes(context), { prefix: "/api/v1" })
  // The description of every route, readable without a token (it holds no data).
  app.get("/api/v1/openapi.json", { schema: { hide: true } }, async () => app.swagger())
}

/** The certificate and key an HTTPS server presents. */
export interface ServerIdentity {
  readonly certPem: string
  readonly keyPem: string
}

/** A fastify app over HTTP, or over HTTPS with `identity`. */
export const makeApp = (identity?: ServerIdentity): FastifyInstance => {
  // removeAdditional off: a field a schema does not allow is a 400, not silently dropped.
  const options = { logger: false, bodyLimit: 4 * 1024 * 1024, ajv: { customOptions: { removeAdditional: false as const } } }
  // Typed as the HTTP instance: nothing here depends on which server carries the requests.
  return identity === undefined ? Fastify(options) : (Fastify({ ...options, https: { cert: identity.certPem, key: identity.keyPem } }) as unknown as FastifyInstance)
}

/** Maps every error to the KUMA body; validation errors are 400 in KUMA's words (ValidationAnswer.ts). */
export const installErrorHandler = (app: FastifyInstance, context: ApiContext): void => {
  app.setErrorHandler((error: unknown, _request, reply) => {
    if (error instanceof ApiError) return reply.status(error.statusCode).send({ ...error.extra, message: error.message, details: error.details })
    const fastifyError = error as { validation?: ReadonlyArray<SchemaFailure>; validationContext?: string; statusCode?: number; message?: string }
    if (fastifyError.validation !== undefined) return reply.status(400).send(validationAnswer(fastifyError.validation, fastifyError.validationContext))
    if (typeof fastifyError.statusCode === "number" && fastifyError.statusCode < 500) {
      return reply.status(fastifyError.statusCode).send({ message: fastifyError.message ?? "bad request", details: "" })
    }
    context.logInternal("unhandled API error", error)
    return reply.status(500).send({ message: "internal error", details: "" })
  })
  app.setNotFoundHandler((_request, reply) => reply.status(404).send({ message: "not found", details: "" }))
}

/** Builds the API app (not listening yet). */
export const buildApiServer = async (context: ApiContext, identity?: ServerIdentity): Promise<FastifyInstance> => {
  const app = makeApp(identity)
  installErrorHandler(app, context)
  await registerApi(app, context)
  return app
}
