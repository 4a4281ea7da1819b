// The resource file store port: exported resource archives kept as opaque bytes (encrypted by
// the exporter) until they expire. A file id is written once; files are not edited.
import { Context, Data, type Effect, type Option } from "effect"
import type { ResourceFile, ResourceFileId } from "../model/Resource.ts"

/** Storage infrastructure failure; `transient` says whether a retry may succeed. */
export class ResourceFileStoreError extends Data.TaggedError("ResourceFileStoreError")<{
  readonly message: string
  readonly cause?: unknown
  readonly transient?: boolean
}> {}

export interface ResourceFileStoreShape {
  /** Stores the file; a reader sees all of it or none of it. */
  readonly put: (file: ResourceFile) => Effect.Effect<void, ResourceFileStoreError>
  /** The file, whether or not it has expired: the caller compares `expiresAt` with its clock. */
  readonly get: (id: ResourceFileId) => Effect.Effect<Option.Option<ResourceFile>, ResourceFileStoreError>
  /** Removes the file; removing a missing file does nothing. */
  readonly delete: (id: ResourceFileId) => Effect.Effect<void, ResourceFileStoreError>
  /** Removes every file with `expiresAt <= now` and tells how many went. */
  readonly deleteExpired: (now: number) => Effect.Effect<number, ResourceFileStoreError>
}

export class ResourceFileStore extends Context.Tag("corvus/ResourceFileStore")<ResourceFileStore, ResourceFileStoreShape>() {}
