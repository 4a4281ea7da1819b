// Loading data from the API in components: one call with loading and error state, optionally
// repeated on an interval (live pages such as the alert queue poll rather than reload).
import { useCallback, useEffect, useRef, useState } from "preact/hooks"
import { ApiFailure } from "./api.ts"

export interface Loaded<T> {
  readonly data: T | undefined
  readonly error: string | undefined
  readonly loading: boolean
  /** Loads again now. */
  readonly reload: () => void
}

/**
 * Runs `load` when `deps` change and, with `everyMillis`, again on that interval while the page
 * is shown. A failed refresh keeps the last data and shows the error.
 */
export const useApi = <T,>(load: () => Promise<T>, deps: ReadonlyArray<unknown>, everyMillis?: number): Loaded<T> => {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const [loading, setLoading] = useState(true)
  const generation = useRef(0)
  const run = useCallback(() => {
    const mine = ++generation.current
    setLoading(true)
    load().then(
      (value) => {
        if (mine !== generation.current) return
        setData(value)
        setError(undefined)
        setLoading(false)
      },
      (failure: unknown) => {
        if (mine !== generation.current) return
        setError(failure instanceof ApiFailure ? failure.text : String(failure))
        setLoading(false)
      }
    )
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps)
  useEffect(() => {
    run()
    if (everyMillis === undefined) return
    const timer = setInterval(run, everyMillis)
    return () => clearInterval(timer)
  }, [run, everyMillis])
  return { data, error, loading, reload: run }
}
