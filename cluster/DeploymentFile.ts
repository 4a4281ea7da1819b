// Reads a deployment resource file (JSON or YAML) and decodes it; a bad file fails with every
// field path and reason.
import { Data, Effect } from "effect"
import { readFile } from "node:fs/promises"
import { Deployment } from "../model/Deployment.ts"
import { decodeResourceDocument } from "../model/ResourceDocument.ts"

export class DeploymentInvalid extends Data.TaggedError("DeploymentInvalid")<{ readonly message: string }> {}

/** Decodes the deployment in `text`, whose format follows the file name. */
export const parseDeployment = (text: string, fileName: string) =>
  decodeResourceDocument(Deployment, text, fileName).pipe(Effect.mapError((message) => new DeploymentInvalid({ message })))

export const loadDeployment = (fileName: string) =>
  Effect.tryPromise({
    try: () => readFile(fileName, "utf8"),
    catch: (cause) => new DeploymentInvalid({ message: `cannot read ${fileName}: ${(cause as Error).message}` })
  }).pipe(Effect.flatMap((text) => parseDeployment(text, fileName)))
