// Table names and the event partitioning scheme; every CQL statement names tables through here.

export const Tables = {
  events: "events",
  alerts: "alerts",
  alertGroups: "alert_groups",
  incidents: "incidents",
  incidentAlerts: "incident_alerts",
  assets: "assets",
  services: "services",
  users: "users",
  userLogins: "user_logins",
  tokens: "tokens",
  resources: "resources",
  resourceFiles: "resource_files",
  checkpoints: "checkpoints",
  migrations: "schema_migrations"
} as const

/** Width of an event time bucket. */
export const BucketMillis = 60_000
/** Partitions per tenant and bucket; the event ID picks one. */
export const ShardsPerBucket = 8

/** The time bucket of an event time. */
export const bucketOf = (timestamp: number): number => Math.floor(timestamp / BucketMillis)

/** The shard of an event ID: FNV-1a over its characters, stable across processes. */
export const shardOf = (id: string): number => {
  let hash = 0x811c9dc5
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) % ShardsPerBucket
}
