// Placeholder: the assets routes (issue 7) are being written.
import type { FastifyPluginAsync } from "fastify"
import type { ApiContext } from "../ApiContext.ts"

export const assetsRoutes = (_context: ApiContext): FastifyPluginAsync => async () => {}
