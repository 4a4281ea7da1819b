// The remembered read position of a followed file: which file (device and inode, so a rotated
// file is told apart from its successor) and the offset up to which its records were delivered.
// One small JSON file per followed path, replaced atomically (write, then rename).
import { createHash } from "node:crypto"
import { mkdir, readFile, rename, writeFile } from "node:fs/promises"

export interface FilePosition {
  readonly path: string
  readonly dev: string
  readonly ino: string
  readonly offset: number
}

/** Where the position of `path` is kept inside `stateDir`. */
export const positionFile = (stateDir: string, path: string): string =>
  `${stateDir}/file-${createHash("sha256").update(path).digest("hex").slice(0, 24)}.json`

/** The saved position, or undefined when there is none (or it cannot be read: the file is then read as new). */
export const loadPosition = async (stateDir: string, path: string): Promise<FilePosition | undefined> => {
  try {
    const saved = JSON.parse(await readFile(positionFile(stateDir, path), "utf8")) as Partial<FilePosition>
    if (saved.path !== path || typeof saved.dev !== "string" || typeof saved.ino !== "string" || typeof saved.offset !== "number") return undefined
    return { path, dev: saved.dev, ino: saved.ino, offset: saved.offset }
  } catch {
    return undefined
  }
}

export const savePosition = async (stateDir: string, position: FilePosition): Promise<void> => {
  await mkdir(stateDir, { recursive: true })
  const target = positionFile(stateDir, position.path)
  const temporary = `${target}.${process.pid}.tmp`
  await writeFile(temporary, `${JSON.stringify(position)}\n`)
  await rename(temporary, target)
}
