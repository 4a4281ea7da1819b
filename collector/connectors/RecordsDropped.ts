// Records a paused UDP or NATS connector could not hold: reported once per pause, with the count.
import { Data } from "effect"

export class RecordsDropped extends Data.TaggedError("RecordsDropped")<{ readonly message: string; readonly records: number }> {}
