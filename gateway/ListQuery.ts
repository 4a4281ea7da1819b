// KUMA's list conventions in one place: pages count from 1 and hold 250 items; repeating `id` or
// `tenantID` means any of them.
/** Items per page of every list. */
export const PageSize = 250

/** The `page` query parameter's schema. */
export const PageParameter = { type: "integer", minimum: 1, default: 1 } as const

/** The repeated `tenantID` query parameter's schema. */
export const TenantIdsParameter = { type: "array", items: { type: "string", maxLength: 64 } } as const

/** The query of a list filtered by id, tenant and a case-insensitive name pattern. */
export const NamedListQuerystring = {
  type: "object",
  properties: {
    page: PageParameter,
    id: { type: "array", items: { type: "string", maxLength: 64 } },
    tenantID: TenantIdsParameter,
    name: { type: "string", maxLength: 512 }
  },
  additionalProperties: false
} as const

export interface NamedListQuerystring {
  page: number
  id?: Array<string>
  tenantID?: Array<string>
  name?: string
}
