// A record a normalizer refuses. Parsers throw it from deep inside the per-record path and the
// normalizer's top catches it into a result, so parsers stay straight-line; it is not an Error
// (no stack is captured: refusals are routine input, not bugs).

/** Thrown by a parser or a mapping for a record that cannot be normalized; `reason` is for the operator. */
export class Refusal {
  constructor(readonly reason: string) {}
}

/** Most fields a record may carry (pairs, columns, structured-data parameters, Extra entries). */
export const MaxFieldsPerRecord = 1_024

/** Objects and arrays nested deeper than this are refused: walking them is work an attacker chooses. */
export const MaxNesting = 32
