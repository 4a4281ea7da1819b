// A binary min-heap of small integers (slots) with their positions tracked, so an entry can be
// removed or re-keyed in O(log n). The order comes from a comparator over the caller's arrays.

export class IndexedHeap {
  private heap = new Int32Array(256)
  private position = new Int32Array(256).fill(-1)
  private count = 0

  /** `before(a, b)` is true when a must come out before b; it must be a strict total order. */
  constructor(private readonly before: (a: number, b: number) => boolean) {}

  get size(): number {
    return this.count
  }

  /** The first entry, or -1 when empty. */
  peek(): number {
    return this.count === 0 ? -1 : this.heap[0]!
  }

  has(item: number): boolean {
    return item < this.position.length && this.position[item]! >= 0
  }

  push(item: number): void {
    if (item >= this.position.length) this.growPositions(item + 1)
    if (this.count === this.heap.length) {
      const heap = new Int32Array(this.heap.length * 2)
      heap.set(this.heap)
      this.heap = heap
    }
    this.heap[this.count] = item
    this.position[item] = this.count
    this.up(this.count++)
  }

  /** Removes and returns the first entry (-1 when empty). */
  pop(): number {
    if (this.count === 0) return -1
    const first = this.heap[0]!
    this.removeAt(0)
    return first
  }

  remove(item: number): void {
    if (!this.has(item)) return
    this.removeAt(this.position[item]!)
  }

  /** Restores order after the item's key changed. */
  update(item: number): void {
    if (!this.has(item)) return
    const at = this.position[item]!
    this.up(at)
    this.down(this.position[item]!)
  }

  clear(): void {
    for (let i = 0; i < this.count; i++) this.position[this.heap[i]!] = -1
    this.count = 0
  }

  get byteSize(): number {
    return this.heap.byteLength + this.position.byteLength
  }

  private removeAt(at: number): void {
    const item = this.heap[at]!
    this.position[item] = -1
    const last = this.heap[--this.count]!
    if (at === this.count) return
    this.heap[at] = last
    this.position[last] = at
    this.up(at)
    this.down(this.position[last]!)
  }

  private up(at: number): void {
    const heap = this.heap
    const item = heap[at]!
    while (at > 0) {
      const parentAt = (at - 1) >> 1
      const parent = heap[parentAt]!
      if (!this.before(item, parent)) break
      heap[at] = parent
      this.position[parent] = at
      at = parentAt
    }
    heap[at] = item
    this.position[item] = at
  }

  private down(at: number): void {
    const heap = this.heap
    const item = heap[at]!
    const half = this.count >> 1
    while (at < half) {
      let childAt = 2 * at + 1
      let child = heap[childAt]!
      const rightAt = childAt + 1
      if (rightAt < this.count && this.before(heap[rightAt]!, child)) {
        childAt = rightAt
        child = heap[rightAt]!
      }
      if (!this.before(child, item)) break
      heap[at] = child
      this.position[child] = at
      at = childAt
    }
    heap[at] = item
    this.position[item] = at
  }

  private growPositions(minimum: number): void {
    let length = this.position.length
    while (length < minimum) length *= 2
    const position = new Int32Array(length).fill(-1)
    position.set(this.position)
    this.position = position
  }
}
