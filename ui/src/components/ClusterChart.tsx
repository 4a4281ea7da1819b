// A small line chart of the cluster's events per second over the last minutes, drawn as SVG
// (no charting library): received, stored and correlation events, with a time axis and the peak.

export interface ClusterSample {
  /** Epoch milliseconds the sample was taken. */
  readonly at: number
  readonly received: number
  readonly stored: number
  readonly correlation: number
}

const Width = 420
const Height = 150
const Left = 48
const Right = 8
const Top = 10
const Bottom = 22

const Series = [
  { key: "received", title: "received", class: "cluster-line-received" },
  { key: "stored", title: "stored", class: "cluster-line-stored" },
  { key: "correlation", title: "correlation", class: "cluster-line-correlation" }
] as const

/** A round upper bound for the axis: 1, 2 or 5 times a power of ten. */
const niceCeiling = (value: number): number => {
  if (value <= 0) return 1
  const power = 10 ** Math.floor(Math.log10(value))
  const step = [1, 2, 5, 10].find((factor) => factor * power >= value) ?? 10
  return step * power
}

export function ClusterChart(props: { readonly samples: ReadonlyArray<ClusterSample>; readonly spanMillis: number }) {
  const { samples, spanMillis } = props
  const now = samples[samples.length - 1]?.at ?? 0
  const peak = Math.max(0, ...samples.flatMap((sample) => [sample.received, sample.stored, sample.correlation]))
  const top = niceCeiling(peak)
  const x = (at: number) => Left + ((at - (now - spanMillis)) / spanMillis) * (Width - Left - Right)
  const y = (value: number) => Top + (1 - value / top) * (Height - Top - Bottom)
  const path = (key: "received" | "stored" | "correlation") => samples.map((sample, index) => `${index === 0 ? "M" : "L"}${x(sample.at).toFixed(1)},${y(sample[key]).toFixed(1)}`).join(" ")
  const last = samples[samples.length - 1]
  return (
    <figure class="cluster-chart">
      <svg viewBox={`0 0 ${Width} ${Height}`} role="img" aria-label="Events per second, last two minutes">
        {[0, 0.5, 1].map((fraction) => (
          <g key={fraction}>
            <line class="cluster-grid" x1={Left} x2={Width - Right} y1={y(top * fraction)} y2={y(top * fraction)} />
            <text class="cluster-axis" x={Left - 6} y={y(top * fraction) + 4} text-anchor="end">
              {(top * fraction).toLocaleString("en-US", { maximumFractionDigits: 1 })}
            </text>
          </g>
        ))}
        {[120, 90, 60, 30, 0].map((secondsAgo) => (
          <text key={secondsAgo} class="cluster-axis" x={x(now - secondsAgo * 1000)} y={Height - 6} text-anchor={secondsAgo === 0 ? "end" : secondsAgo === 120 ? "start" : "middle"}>
            {secondsAgo === 0 ? "now" : `-${secondsAgo}s`}
          </text>
        ))}
        {samples.length > 1 ? Series.map((series) => <path key={series.key} class={series.class} d={path(series.key)} fill="none" />) : null}
      </svg>
      <figcaption>
        {Series.map((series) => (
          <span key={series.key} class="cluster-legend">
            <span class={`cluster-swatch ${series.class}`} /> {series.title}
            {last !== undefined ? ` ${last[series.key].toLocaleString("en-US", { maximumFractionDigits: 1 })}/s` : ""}
          </span>
        ))}
        <span class="muted"> peak {peak.toLocaleString("en-US", { maximumFractionDigits: 1 })}/s</span>
      </figcaption>
    </figure>
  )
}
