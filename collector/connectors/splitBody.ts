// Splits a complete HTTP request body into records: the body is one finished stream, so the last
// record needs no delimiter after it.
import { RecordFramer, type FramerSink, type FramerTally } from "./RecordFramer.ts"

/** Hands every record of `body` to `sink` (oversize ones counted) and says where each byte went. */
export const splitBody = (body: Buffer, delimiter: number, maxRecordBytes: number, sink: FramerSink): FramerTally => {
  const framer = new RecordFramer(delimiter, maxRecordBytes, sink)
  framer.push(body)
  framer.end()
  return framer.tally
}
