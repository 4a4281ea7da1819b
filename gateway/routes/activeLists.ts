// Placeholder: the activeLists routes (issue 7) are being written.
import type { FastifyPluginAsync } from "fastify"
import type { ApiContext } from "../ApiContext.ts"

export const activeListsRoutes = (_context: ApiContext): FastifyPluginAsync => async () => {}
