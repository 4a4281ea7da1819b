// The incident identifier, kept apart from the incident model so that alerts, stores and the
// gateway can name an incident without depending on its whole shape.
import { Schema } from "effect"

/** An incident. */
export const IncidentId = Schema.UUID.pipe(Schema.brand("IncidentId"))
export type IncidentId = typeof IncidentId.Type
