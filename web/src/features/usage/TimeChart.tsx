// A time-series chart drawn by uPlot (small and fast; this module is only in the usage page's
// chunk). The canvas is a picture for sighted users: its figures are in the table view beside
// it, and its own legend names each series by colour and pattern.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  values: (number | null)[];
  /** A CSS colour variable of the design tokens (read when drawing, so both themes work). */
  color: string;
  dash?: number[];
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

export function TimeChart({ label, x, series, hourly, format }: { label: string; x: number[]; series: Series[]; hourly: boolean; format?: (v: number) => string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let plot: uPlot | null = null;
    const draw = () => {
      plot?.destroy();
      const text = cssVar('--text-muted');
      const grid = cssVar('--border');
      const opts: uPlot.Options = {
        width: Math.max(240, el.clientWidth),
        height: 220,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } },
        axes: [
          {
            stroke: text,
            grid: { stroke: grid, width: 1 },
            ticks: { stroke: grid },
            values: (_u, splits) => splits.map((s) => new Date(s * 1000).toLocaleString(undefined, hourly ? { hour: '2-digit', minute: '2-digit' } : { month: 'short', day: 'numeric' })),
          },
          { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 56, ...(format ? { values: (_u: uPlot, splits: number[]) => splits.map(format) } : {}) },
        ],
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: cssVar(s.color), width: 2, points: { show: x.length < 40 }, ...(s.dash ? { dash: s.dash } : {}), spanGaps: false }))],
      };
      plot = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    };
    draw();
    const ro = new ResizeObserver(() => plot?.setSize({ width: Math.max(240, el.clientWidth), height: 220 }));
    ro.observe(el);
    // Redraw in the other colour scheme's colours when it changes.
    const mql = window.matchMedia('(prefers-color-scheme: dark)');
    mql.addEventListener('change', draw);
    return () => {
      ro.disconnect();
      mql.removeEventListener('change', draw);
      plot?.destroy();
    };
  }, [x, series, hourly, format]);
  return (
    <figure className="chart">
      <div className="chart-canvas" ref={box} role="img" aria-label={`${label}: chart of ${series.map((s) => s.label).join(', ')}; the table view has the figures`} />
      <figcaption className="chart-legend">
        {series.map((s) => (
          <span key={s.label} className="legend-item">
            <span className="legend-swatch" style={{ borderColor: `var(${s.color})`, borderStyle: s.dash ? 'dashed' : 'solid' }} aria-hidden="true" />
            {s.label}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
