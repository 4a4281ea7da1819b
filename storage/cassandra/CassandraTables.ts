// Table names and the event partitioning scheme; every CQL statement names tables through here.

export const Tables = {
  events: "events",
  eventPartitions: "event_partitions",
  eventDays: "event_days",
  alerts: "alerts",
  alertGroups: "alert_groups",
  incidents: "incidents",
  incidentAlerts: "incident_alerts",
  assets: "assets",
  services: "services",
  assetCategories: "asset_categories",
  tenantSettings: "tenant_settings",
  users: "users",
  userLogins: "user_logins",
  tokens: "tokens",
  userTokens: "user_tokens",
  resources: "resources",
  resourceFiles: "resource_files",
  checkpoints: "checkpoints",
  checkpointChunks: "checkpoint_chunks",
  checkpointPartitions: "checkpoint_partitions",
  migrations: "schema_migrations"
} as const

/**
 * Width of an event time bucket. With ShardsPerBucket this sizes a partition: one tenant at
 * 50,000 events/s puts 500,000 events in a 10-second bucket, 15,625 per shard, ~20 MB at
 * ~1.25 KB per stored event (see ops/schema/cassandra/001_events_and_alerts.cql).
 */
export const BucketMillis = 10_000
/** Partitions per tenant and bucket; the event ID picks one, so a rewrite lands on the same row. */
export const ShardsPerBucket = 32
/** The partition index lists a tenant's non-empty partitions one day per index partition. */
export const IndexDayMillis = 86_400_000

/** The time bucket of an event time. */
export const bucketOf = (timestamp: number): number => Math.floor(timestamp / BucketMillis)

/** The index day of a bucket. */
export const dayOfBucket = (bucket: number): number => Math.floor((bucket * BucketMillis) / IndexDayMillis)

/** The shard of an event ID: FNV-1a over its characters, stable across processes. */
export const shardOf = (id: string): number => {
  let hash = 0x811c9dc5
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) % ShardsPerBucket
}
