// A little-endian byte writer and reader for engine snapshots: numbers as float64 or uint32,
// strings as UTF-8 with a length, so a snapshot is compact, exact and independent of JSON.

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export class ByteWriter {
  private bytes = new Uint8Array(4096)
  private view = new DataView(this.bytes.buffer)
  private length = 0

  u32(value: number): void {
    this.room(4)
    this.view.setUint32(this.length, value, true)
    this.length += 4
  }

  f64(value: number): void {
    this.room(8)
    this.view.setFloat64(this.length, value, true)
    this.length += 8
  }

  string(value: string): void {
    const encoded = encoder.encode(value)
    this.u32(encoded.length)
    this.room(encoded.length)
    this.bytes.set(encoded, this.length)
    this.length += encoded.length
  }

  result(): Uint8Array {
    return this.bytes.slice(0, this.length)
  }

  private room(extra: number): void {
    if (this.length + extra <= this.bytes.length) return
    let size = this.bytes.length * 2
    while (size < this.length + extra) size *= 2
    const bigger = new Uint8Array(size)
    bigger.set(this.bytes.subarray(0, this.length))
    this.bytes = bigger
    this.view = new DataView(bigger.buffer)
  }
}

/** Raised when snapshot bytes are truncated or of another format. */
export class SnapshotCorrupt extends Error {
  readonly _tag = "SnapshotCorrupt"
}

export class ByteReader {
  private readonly view: DataView
  private offset = 0

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  u32(): number {
    this.need(4)
    const value = this.view.getUint32(this.offset, true)
    this.offset += 4
    return value
  }

  f64(): number {
    this.need(8)
    const value = this.view.getFloat64(this.offset, true)
    this.offset += 8
    return value
  }

  string(): string {
    const length = this.u32()
    this.need(length)
    const value = decoder.decode(this.bytes.subarray(this.offset, this.offset + length))
    this.offset += length
    return value
  }

  get done(): boolean {
    return this.offset === this.bytes.length
  }

  private need(bytes: number): void {
    if (this.offset + bytes > this.bytes.length) throw new SnapshotCorrupt(`snapshot truncated at byte ${this.offset}`)
  }
}
