/** A determinate progress bar (role=progressbar with its value as text), or an indeterminate one
 *  when `value` is null. */
export function ProgressBar({ label, value, max = 100, valueText, hideLabel = false }: { label: string; value: number | null; max?: number; valueText?: string; hideLabel?: boolean }) {
  const ratio = value === null || max <= 0 ? null : Math.max(0, Math.min(1, value / max));
  return (
    <div className="progress">
      <div className={hideLabel ? 'visually-hidden' : 'progress-head'}>
        <span className="field-label">{label}</span>
        {valueText ? <span className="progress-value">{valueText}</span> : null}
      </div>
      <div
        className="progress-bar"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={ratio === null ? undefined : max}
        aria-valuenow={ratio === null || value === null ? undefined : Math.round(value)}
        aria-valuetext={valueText}
        data-indeterminate={ratio === null || undefined}
      >
        <div className="progress-fill" style={ratio === null ? undefined : { width: `${ratio * 100}%` }} />
      </div>
    </div>
  );
}
