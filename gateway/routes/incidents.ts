// Placeholder: the incidents routes (issue 7) are being written.
import type { FastifyPluginAsync } from "fastify"
import type { ApiContext } from "../ApiContext.ts"

export const incidentsRoutes = (_context: ApiContext): FastifyPluginAsync => async () => {}
