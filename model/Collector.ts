// Collector services (SPEC §3): each belongs to one tenant and stamps it on every event, takes
// raw records through one connector and turns them into events with its normalizer setup.
import { Schema } from "effect"
import { ConnectorSpec } from "./Connector.ts"
import { CollectorId, TenantId } from "./Ids.ts"
import { NormalizerSetup } from "./Normalizer.ts"

export const CollectorSpec = Schema.Struct({
  id: CollectorId,
  tenantId: TenantId,
  name: Schema.NonEmptyString,
  connector: ConnectorSpec,
  /** One normalizer (or its kind's name, e.g. "json"), or a default with choices by source address. */
  normalizer: NormalizerSetup
})
export type CollectorSpec = typeof CollectorSpec.Type

/** A raw record may be at most this large (SPEC §2: raw events up to 4 MB). */
export const MaxRawEventBytes = 4 * 1024 * 1024
