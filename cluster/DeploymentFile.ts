// Reads a deployment resource file (JSON or YAML) and decodes it; a bad file fails with every
// field path and reason.
import { Data, Effect, ParseResult } from "effect"
import { readFile } from "node:fs/promises"
import { parse as parseYaml } from "yaml"
import { decodeDeployment } from "../model/Deployment.ts"

export class DeploymentInvalid extends Data.TaggedError("DeploymentInvalid")<{ readonly message: string }> {}

/** Decodes the deployment in `text`, whose format follows the file name. */
export const parseDeployment = (text: string, fileName: string) =>
  Effect.try({
    try: () => (/\.ya?ml$/i.test(fileName) ? parseYaml(text) : JSON.parse(text)) as unknown,
    catch: (cause) => new DeploymentInvalid({ message: `${fileName}: ${(cause as Error).message}` })
  }).pipe(
    Effect.flatMap((value) => decodeDeployment(value)),
    Effect.mapError((error) =>
      ParseResult.isParseError(error) ? new DeploymentInvalid({ message: `${fileName}:\n${ParseResult.TreeFormatter.formatErrorSync(error)}` }) : error
    )
  )

export const loadDeployment = (fileName: string) =>
  Effect.tryPromise({
    try: () => readFile(fileName, "utf8"),
    catch: (cause) => new DeploymentInvalid({ message: `cannot read ${fileName}: ${(cause as Error).message}` })
  }).pipe(Effect.flatMap((text) => parseDeployment(text, fileName)))
