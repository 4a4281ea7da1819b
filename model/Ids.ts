// Branded identifiers shared by every module; subject tokens and keys are built from them,
// so they are restricted to characters that are safe in NATS subjects and CQL values.
import { Schema } from "effect"

const Token = Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9_-]{1,64}$/))

/** A tenant: every object has exactly one owner tenant. */
export const TenantId = Token.pipe(Schema.brand("TenantId"))
export type TenantId = typeof TenantId.Type

/** A correlator service. */
export const CorrelatorId = Token.pipe(Schema.brand("CorrelatorId"))
export type CorrelatorId = typeof CorrelatorId.Type

/** A collector service. */
export const CollectorId = Token.pipe(Schema.brand("CollectorId"))
export type CollectorId = typeof CollectorId.Type

/** A correlation rule resource. */
export const RuleId = Token.pipe(Schema.brand("RuleId"))
export type RuleId = typeof RuleId.Type

/** An alert; equal to the ID of the correlation event that opened it, so creation is idempotent. */
export const AlertId = Schema.UUID.pipe(Schema.brand("AlertId"))
export type AlertId = typeof AlertId.Type
