// Collector services (SPEC §3): each belongs to one tenant and stamps it on every event.
import { Schema } from "effect"
import { CollectorId, TenantId } from "./Ids.ts"

/** TCP connector: records separated by a delimiter. */
export const TcpConnector = Schema.Struct({
  kind: Schema.Literal("tcp"),
  host: Schema.optionalWith(Schema.String, { exact: true, default: () => "127.0.0.1" }),
  port: Schema.Int.pipe(Schema.between(0, 65535)),
  delimiter: Schema.optionalWith(Schema.Literal("\n", "\t", "\u0000"), { exact: true, default: () => "\n" as const })
})
export type TcpConnector = typeof TcpConnector.Type

export const CollectorSpec = Schema.Struct({
  id: CollectorId,
  tenantId: TenantId,
  name: Schema.NonEmptyString,
  connector: TcpConnector,
  normalizer: Schema.Literal("json")
})
export type CollectorSpec = typeof CollectorSpec.Type

/** A raw record may be at most this large (SPEC §2: raw events up to 4 MB). */
export const MaxRawEventBytes = 4 * 1024 * 1024
