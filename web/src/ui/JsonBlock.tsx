import { pretty } from './format';

/** A collapsible JSON value (closed by default), scrollable and reachable by keyboard. */
export function JsonBlock({ label, value, open = false }: { label: string; value: unknown; open?: boolean }) {
  return (
    <details className="json-block" open={open}>
      <summary>{label}</summary>
      <pre className="code-block" tabIndex={0} role="region" aria-label={label}>
        {pretty(value)}
      </pre>
    </details>
  );
}
