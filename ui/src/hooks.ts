// Loading data from the API in components: one call with loading and error state, optionally
// repeated on an interval (live pages such as the alert queue poll rather than reload).
import { useCallback, useEffect, useRef, useState } from "preact/hooks"
import { failureText } from "./api.ts"

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
        setError(failureText(failure))
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

export interface Action {
  /** True while a run is in flight: buttons that start one are disabled. */
  readonly busy: boolean
  /** The last run's failure in the API's words; cleared when the next run starts. */
  readonly error: string | undefined
  readonly setError: (error: string | undefined) => void
  /** Runs `work`; resolves with its value, or undefined when it failed (the failure is in `error`). */
  readonly run: <A>(work: () => Promise<A>) => Promise<A | undefined>
}

/** A user's action against the API (save, link, delete...) with its busy and error state. */
export const useAction = (): Action => {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  const run = async <A,>(work: () => Promise<A>): Promise<A | undefined> => {
    setBusy(true)
    setError(undefined)
    try {
      return await work()
    } catch (failure) {
      setError(failureText(failure))
      return undefined
    } finally {
      setBusy(false)
    }
  }
  return { busy, error, setError, run }
}
