import { memo, useState } from 'react';
import { Button } from '../../ui/Button';
import { Spinner } from '../../ui/feedback';

export interface ToolView {
  id: string;
  name: string;
  arguments: unknown;
  status: 'running' | 'succeeded' | 'failed';
  summary?: string;
  /** The full result, when the saved session has it. */
  result?: unknown;
  hasResult: boolean;
}

function pretty(v: unknown): string {
  try {
    return JSON.stringify(v, null, 2) ?? String(v);
  } catch {
    return String(v);
  }
}

/** One tool call: name, arguments, status, summary, and the full result on demand. */
export const ToolCard = memo(function ToolCard({ tool }: { tool: ToolView }) {
  const [showResult, setShowResult] = useState(false);
  const label = tool.status === 'running' ? 'running' : tool.status === 'succeeded' ? 'succeeded' : 'failed';
  return (
    <section className="tool-card" data-status={tool.status} aria-label={`Tool call ${tool.name}, ${label}`}>
      <div className="tool-head">
        <span className="tool-icon" aria-hidden="true">
          ⚙
        </span>
        <code className="tool-name">{tool.name}</code>
        <span className={`badge ${tool.status === 'succeeded' ? 'badge-success' : tool.status === 'failed' ? 'badge-danger' : 'badge-accent'}`}>
          {tool.status === 'running' ? <Spinner /> : null}
          {label}
        </span>
      </div>
      {tool.summary ? <p className="tool-summary">{tool.summary}</p> : null}
      <details className="tool-details">
        <summary>Arguments</summary>
        <pre className="code-block" tabIndex={0} role="region" aria-label={`Arguments of ${tool.name}`}>
          {pretty(tool.arguments)}
        </pre>
      </details>
      {tool.hasResult ? (
        <div>
          <Button size="sm" variant="ghost" aria-expanded={showResult} onPress={() => setShowResult((s) => !s)}>
            {showResult ? 'Hide full result' : 'Show full result'}
          </Button>
          {showResult ? (
            <pre className="code-block tool-result" tabIndex={0} role="region" aria-label={`Full result of ${tool.name}`}>
              {pretty(tool.result)}
            </pre>
          ) : null}
        </div>
      ) : tool.status !== 'running' ? (
        <p className="small muted">The full result is shown once the answer is saved.</p>
      ) : null}
    </section>
  );
});
