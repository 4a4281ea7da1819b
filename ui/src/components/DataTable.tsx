// The console's table, like an operating system's event log: one selected row, moved with the
// arrow keys (Home/End, PageUp/PageDown too), Enter or a double click opens it. Every page's
// lists use it, so keyboard use is the same everywhere.
import type { ComponentChildren } from "preact"
import { useEffect, useRef } from "preact/hooks"

export interface Column<Row> {
  readonly title: string
  readonly cell: (row: Row) => ComponentChildren
  /** A narrow column that keeps its content on one line. */
  readonly nowrap?: boolean
}

export interface DataTableProps<Row> {
  /** Names the table for screen readers and tests (aria-label). */
  readonly label: string
  readonly columns: ReadonlyArray<Column<Row>>
  readonly rows: ReadonlyArray<Row>
  readonly rowKey: (row: Row) => string
  /** The key of the selected row, if any. */
  readonly selected?: string | undefined
  readonly onSelect?: (row: Row) => void
  readonly onOpen?: (row: Row) => void
  /** Shown when there are no rows. */
  readonly empty?: string
  /** Extra classes for a row (e.g. a briefly highlighted new arrival). */
  readonly rowClass?: (row: Row) => string | undefined
}

const PageStep = 10

export function DataTable<Row>(props: DataTableProps<Row>) {
  const { rows, rowKey, selected } = props
  const body = useRef<HTMLTableSectionElement>(null)
  const index = rows.findIndex((row) => rowKey(row) === selected)

  // Keep the selected row in view as the keyboard moves it.
  useEffect(() => {
    if (index < 0) return
    body.current?.children[index]?.scrollIntoView({ block: "nearest" })
  }, [index])

  const move = (to: number) => {
    if (rows.length === 0) return
    const row = rows[Math.max(0, Math.min(rows.length - 1, to))]
    if (row !== undefined) props.onSelect?.(row)
  }

  const onKeyDown = (event: KeyboardEvent) => {
    const keys: Record<string, () => void> = {
      ArrowDown: () => move(index < 0 ? 0 : index + 1),
      ArrowUp: () => move(index < 0 ? 0 : index - 1),
      PageDown: () => move(index + PageStep),
      PageUp: () => move(index - PageStep),
      Home: () => move(0),
      End: () => move(rows.length - 1),
      Enter: () => {
        const row = rows[index]
        if (row !== undefined) props.onOpen?.(row)
      }
    }
    const action = keys[event.key]
    if (action === undefined) return
    event.preventDefault()
    action()
  }

  return (
    <div class="table-frame">
      <table class="data-table" aria-label={props.label} tabIndex={0} onKeyDown={onKeyDown} role="grid">
        <thead>
          <tr>
            {props.columns.map((column) => (
              <th scope="col" key={column.title}>
                {column.title}
              </th>
            ))}
          </tr>
        </thead>
        <tbody ref={body}>
          {rows.map((row) => {
            const key = rowKey(row)
            const isSelected = key === selected
            const extra = props.rowClass?.(row)
            const classes = [isSelected ? "selected" : undefined, extra].filter((name) => name !== undefined && name !== "").join(" ")
            return (
              <tr
                key={key}
                data-key={key}
                aria-selected={isSelected}
                class={classes === "" ? undefined : classes}
                onClick={() => props.onSelect?.(row)}
                onDblClick={() => props.onOpen?.(row)}
              >
                {props.columns.map((column) => (
                  <td key={column.title} class={column.nowrap === true ? "nowrap" : undefined}>
                    {column.cell(row)}
                  </td>
                ))}
              </tr>
            )
          })}
        </tbody>
      </table>
      {rows.length === 0 ? <p class="empty">{props.empty ?? "Nothing to show."}</p> : null}
    </div>
  )
}
