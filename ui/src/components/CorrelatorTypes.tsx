// Correlators as GET /api/v1/correlators and GET /api/v1/correlators/{id} answer them.

export interface CorrelatorRule {
  readonly id: string
  readonly name: string
  readonly kind: "simple" | "standard" | "operational"
}

export interface CorrelatorSummary {
  readonly id: string
  readonly tenantID: string
  readonly tenantName: string
  readonly name: string
  /** The current revision (from 1; 0 before anything was stored). */
  readonly revision: number
  readonly rules: ReadonlyArray<CorrelatorRule>
  /** How many partitions the correlator runs in. */
  readonly partitions: number
  readonly activeLists: ReadonlyArray<string>
}

export interface CorrelatorDetail extends CorrelatorSummary {
  /** The correlator resource as YAML, as `corvus rules deploy` reads it. */
  readonly document: string
  readonly spec: Readonly<Record<string, unknown>>
}
