import { Label, Meter } from 'react-aria-components';

function money(n: number): string {
  return `$${n.toFixed(n !== 0 && n < 1 ? 4 : 2)}`;
}

/** Spend against a monthly limit (react-aria Meter: role=meter with its value as text). A null
 *  limit is "no limit"; a limit of 0 is a budget of nothing, already spent. */
export function SpendMeter({ label, spent, limit, threshold = 0.8 }: { label: string; spent: number; limit: number | null | undefined; threshold?: number }) {
  if (limit === null || limit === undefined) {
    return (
      <div className="meter">
        <div className="meter-head">
          <span className="field-label">{label}</span>
          <span className="meter-value">
            {money(spent)} <span className="muted">· no limit</span>
          </span>
        </div>
        <div className="meter-bar" aria-hidden="true" />
      </div>
    );
  }
  const ratio = limit > 0 ? Math.min(1, spent / limit) : 1;
  const level = spent >= limit ? 'over' : ratio >= threshold ? 'warn' : 'ok';
  return (
    <Meter className="meter" value={Math.min(spent, limit)} minValue={0} maxValue={Math.max(limit, 0.000001)} valueLabel={`${money(spent)} of ${money(limit)}`}>
      {({ valueText }) => (
        <>
          <div className="meter-head">
            <Label className="field-label">{label}</Label>
            <span className="meter-value">{valueText}</span>
          </div>
          <div className="meter-bar">
            <div className="meter-fill" data-level={level} style={{ width: `${ratio * 100}%` }} />
          </div>
        </>
      )}
    </Meter>
  );
}
