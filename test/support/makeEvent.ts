// A minimal valid normalized event of tenant-1 for filter and query tests; fields override.
import type { NormalizedEvent } from "../../model/Event.ts"
import { TenantId } from "../../model/Ids.ts"

export const testTenant = TenantId.make("tenant-1")

export const makeEvent = (fields: Partial<NormalizedEvent> = {}): NormalizedEvent => ({
  ID: crypto.randomUUID(),
  Timestamp: 1_700_000_000_000,
  TenantID: testTenant,
  Type: 1,
  ...fields
})
