import { Label, Meter } from 'react-aria-components';

/** Spend against a limit (react-aria Meter: role=meter with value text). */
export function SpendMeter({ label, spent, limit, threshold = 0.8 }: { label: string; spent: number; limit: number | null; threshold?: number }) {
  const money = (n: number) => `$${n.toFixed(n < 1 ? 4 : 2)}`;
  if (limit === null || limit <= 0) {
    return (
      <div className="meter">
        <div className="row-between">
          <span className="field-label">{label}</span>
          <span>
            {money(spent)} <span className="muted">· no limit</span>
          </span>
        </div>
      </div>
    );
  }
  const ratio = Math.min(1, spent / limit);
  const level = spent >= limit ? 'over' : ratio >= threshold ? 'warn' : 'ok';
  return (
    <Meter className="meter" value={Math.min(spent, limit)} maxValue={limit} valueLabel={`${money(spent)} of ${money(limit)}`}>
      {({ valueText }) => (
        <>
          <div className="row-between">
            <Label className="field-label">{label}</Label>
            <span>{valueText}</span>
          </div>
          <div className="meter-bar">
            <div className="meter-fill" data-level={level} style={{ width: `${ratio * 100}%` }} />
          </div>
        </>
      )}
    </Meter>
  );
}
