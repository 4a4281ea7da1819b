// Undoes an HTTP body's content encoding with the decoded size bounded, so a small gzip bomb
// cannot expand into memory. Runs zlib on the thread pool, off the event loop.
import { gunzip } from "node:zlib"

export type DecodedBody = Buffer | "tooLarge" | "corrupt"

/** Calls `done` once with the decoded body, or why there is none. `encoding` is lower case: identity, gzip or x-gzip. */
export const decodeBody = (body: Buffer, encoding: string, maxBytes: number, done: (result: DecodedBody) => void): void => {
  if (encoding === "identity") {
    done(body.length > maxBytes ? "tooLarge" : body)
    return
  }
  gunzip(body, { maxOutputLength: maxBytes }, (error, decoded) => {
    if (error === null) done(decoded)
    else done((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE" ? "tooLarge" : "corrupt")
  })
}
