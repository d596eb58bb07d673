// `/usage`: what the workspace used and spent over a period (24 hours by the hour, or 7/30/90
// days): requests, Airtable requests and 429s, records read and written, the cache's hit ratio,
// tool calls by tool, LLM cost over time, by model and by member, and the month's budget. Every
// chart has a table view holding the API's own figures, unrounded.
import { useMemo, useState, type ReactNode } from 'react';
import { asProblem } from '../../api/problem';
import { atLeast, type BudgetStatus, type UsageFigures } from '../../api/types';
import { useMe } from '../../app/auth';
import { ProblemAlert } from '../../ui/Alert';
import { Loading, QueryState } from '../../ui/feedback';
import { usd } from '../../ui/format';
import { SpendMeter } from '../../ui/Meter';
import { useTitle } from '../../ui/useTitle';
import { useMembers } from '../settings/api';
import { PERIODS, useCosts, useUsage, type Period } from './api';
import { TimeChart, type Series } from './TimeChart';

function periodTime(p: string): number {
  // `2026-12-01` (a day) or `2026-12-01T07` (an hour), UTC.
  return Date.parse(p.length > 10 ? `${p}:00:00Z` : `${p}T00:00:00Z`) / 1000;
}

function periodLabel(p: string, hourly: boolean): string {
  const d = new Date(periodTime(p) * 1000);
  return hourly ? d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }) : d.toLocaleDateString(undefined, { weekday: 'short', month: 'short', day: 'numeric', timeZone: 'UTC' });
}

/** A number exactly as the API gave it (the table views never round). */
function exact(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : String(n);
}

function Panel({ title, id, children, table }: { title: string; id: string; children: ReactNode; table: ReactNode }) {
  return (
    <section className="card stack chart-panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="panel-title">
        {title}
      </h2>
      {children}
      <details className="table-view">
        <summary>Table view: {title.toLowerCase()}</summary>
        {table}
      </details>
    </section>
  );
}

function DataTable({ caption, head, rows, testId }: { caption: string; head: string[]; rows: (string | number)[][]; testId: string }) {
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label={caption}>
      <table className="list figures" data-testid={testId}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {head.map((h, i) => (
              <th key={h} scope="col" className={i > 0 ? 'num' : undefined}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {r.map((c, j) =>
                j === 0 ? (
                  <th key={j} scope="row">
                    {c}
                  </th>
                ) : (
                  <td key={j} className="num">
                    {c}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Horizontal bars for a breakdown (tools, models, members): the values are printed too. */
function Bars({ items, format }: { items: { label: string; value: number }[]; format: (v: number) => string }) {
  const max = Math.max(0, ...items.map((i) => i.value));
  if (items.length === 0) return <p className="small muted">Nothing in this period.</p>;
  return (
    <ul className="bars" aria-hidden="true">
      {items.map((i) => (
        <li key={i.label} className="bar-row">
          <span className="bar-label">{i.label}</span>
          <span className="bar-track">
            <span className="bar-fill" style={{ width: `${max > 0 ? (i.value / max) * 100 : 0}%` }} />
          </span>
          <span className="bar-value">{format(i.value)}</span>
        </li>
      ))}
    </ul>
  );
}

function toolTotals(t: UsageFigures): { tool: string; chat: number; mcp: number; workflow: number; total: number }[] {
  const by = (f: { byTool: Record<string, unknown> }) => f.byTool as Record<string, number>;
  const names = new Set([...Object.keys(by(t.chatToolCalls)), ...Object.keys(by(t.mcpToolCalls)), ...Object.keys(by(t.workflowToolCalls))]);
  return [...names]
    .map((tool) => {
      const chat = by(t.chatToolCalls)[tool] ?? 0;
      const mcp = by(t.mcpToolCalls)[tool] ?? 0;
      const workflow = by(t.workflowToolCalls)[tool] ?? 0;
      return { tool, chat, mcp, workflow, total: chat + mcp + workflow };
    })
    .sort((a, b) => b.total - a.total || a.tool.localeCompare(b.tool));
}

export function Component() {
  useTitle('Usage and costs');
  const me = useMe();
  const isAdmin = atLeast(me.role, 'admin');
  const [period, setPeriod] = useState<Period>('7d');
  const usage = useUsage(period);
  const costs = useCosts(period);
  const members = useMembers();
  const hourly = period === '24h';
  const u = usage.data;
  const c = costs.data;

  const charts = useMemo(() => {
    if (!u) return null;
    const x = u.periods.map((p) => periodTime(p.period));
    const s = (label: string, color: string, values: (number | null)[], dash?: number[]): Series => ({ label, color, values, ...(dash ? { dash } : {}) });
    return {
      x,
      requests: [
        s('API requests', '--accent', u.periods.map((p) => p.apiRequests.total)),
        s('Airtable requests', '--success', u.periods.map((p) => p.airtable.requests), [6, 4]),
        s('Airtable 429s', '--danger', u.periods.map((p) => p.airtable.throttled), [2, 3]),
      ],
      records: [s('Records read', '--accent', u.periods.map((p) => p.airtable.recordsRead)), s('Records written', '--success', u.periods.map((p) => p.airtable.recordsWritten), [6, 4])],
      cache: [s('Cache hit ratio', '--accent', u.periods.map((p) => (p.airtable.cacheHits + p.airtable.cacheMisses > 0 ? p.airtable.cacheHits / (p.airtable.cacheHits + p.airtable.cacheMisses) : null)))],
      cost: [s('LLM cost (USD)', '--warning', u.periods.map((p) => p.llm.costUsd))],
    };
  }, [u]);

  const nameOf = (userId: string) => {
    if (userId === me.user.id) return `${me.user.name ?? me.user.email} (you)`;
    const m = members.data?.members.find((x) => x.userId === userId);
    return m ? (m.name ?? m.email) : userId;
  };
  const totals = u?.totals;
  const cacheRatio = totals && totals.airtable.cacheHits + totals.airtable.cacheMisses > 0 ? totals.airtable.cacheHits / (totals.airtable.cacheHits + totals.airtable.cacheMisses) : null;
  const budget = c?.budget as BudgetStatus | undefined;
  // What a panel fed by the costs shows until they come: the API's problem if they cannot.
  const costsPending = costs.isError ? <ProblemAlert problem={asProblem(costs.error)} /> : <Loading />;
  const tools = totals ? toolTotals(totals) : [];

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>Usage and costs</h1>
          <p className="muted">
            {isAdmin ? 'The whole workspace' : 'Your own use'}
            {u ? `, ${new Date(u.from).toLocaleString()} to ${new Date(u.to).toLocaleString()}` : ''}.
          </p>
        </div>
        <div className="segmented" role="group" aria-label="Period">
          {PERIODS.map((p) => (
            <button key={p.id} type="button" className="btn btn-sm" aria-pressed={period === p.id} onClick={() => setPeriod(p.id)}>
              {p.label}
            </button>
          ))}
        </div>
      </div>
      <QueryState query={usage} label="Loading usage…" />
      {u && totals && charts ? (
        <div className="stack-lg">
          <dl className="summary-list card usage-totals" aria-label="Totals for the period">
            <div>
              <dt>API requests</dt>
              <dd>{totals.apiRequests.total.toLocaleString()}</dd>
            </div>
            <div>
              <dt>Airtable requests</dt>
              <dd>{totals.airtable.requests.toLocaleString()}</dd>
            </div>
            <div>
              <dt>Airtable 429s</dt>
              <dd>{totals.airtable.throttled.toLocaleString()}</dd>
            </div>
            <div>
              <dt>Records read / written</dt>
              <dd>
                {totals.airtable.recordsRead.toLocaleString()} / {totals.airtable.recordsWritten.toLocaleString()}
              </dd>
            </div>
            <div>
              <dt>Cache hit ratio</dt>
              <dd>{cacheRatio === null ? '—' : `${Math.round(cacheRatio * 100)}%`}</dd>
            </div>
            <div>
              <dt>LLM cost</dt>
              <dd>{usd(totals.llm.costUsd)}</dd>
            </div>
          </dl>
          <div className="chart-grid">
            <Panel
              title="Requests"
              id="requests"
              table={
                <DataTable
                  testId="table-requests"
                  caption="Requests per period"
                  head={[hourly ? 'Hour' : 'Day', 'API requests', 'Airtable requests', 'Airtable 429s']}
                  rows={u.periods.map((p) => [periodLabel(p.period, hourly), exact(p.apiRequests.total), exact(p.airtable.requests), exact(p.airtable.throttled)])}
                />
              }
            >
              <TimeChart label="Requests" x={charts.x} series={charts.requests} hourly={hourly} />
            </Panel>
            <Panel
              title="Records read and written"
              id="records"
              table={
                <DataTable
                  testId="table-records"
                  caption="Records read and written per period"
                  head={[hourly ? 'Hour' : 'Day', 'Records read', 'Records written']}
                  rows={u.periods.map((p) => [periodLabel(p.period, hourly), exact(p.airtable.recordsRead), exact(p.airtable.recordsWritten)])}
                />
              }
            >
              <TimeChart label="Records read and written" x={charts.x} series={charts.records} hourly={hourly} />
            </Panel>
            <Panel
              title="Cache hit ratio"
              id="cache"
              table={
                <DataTable
                  testId="table-cache"
                  caption="Cache hits and misses per period"
                  head={[hourly ? 'Hour' : 'Day', 'Cache hits', 'Cache misses', 'Hit ratio']}
                  rows={u.periods.map((p) => {
                    const all = p.airtable.cacheHits + p.airtable.cacheMisses;
                    return [periodLabel(p.period, hourly), exact(p.airtable.cacheHits), exact(p.airtable.cacheMisses), all > 0 ? `${((p.airtable.cacheHits / all) * 100).toFixed(1)}%` : '—'];
                  })}
                />
              }
            >
              <TimeChart label="Cache hit ratio" x={charts.x} series={charts.cache} hourly={hourly} format={(v) => `${Math.round(v * 100)}%`} />
            </Panel>
            <Panel
              title={hourly ? 'LLM cost per hour' : 'LLM cost per day'}
              id="cost"
              table={
                <DataTable
                  testId="table-cost"
                  caption="LLM calls, tokens and cost per period"
                  head={[hourly ? 'Hour' : 'Day', 'Calls', 'Input tokens', 'Output tokens', 'Cost (USD)']}
                  rows={u.periods.map((p) => [periodLabel(p.period, hourly), exact(p.llm.calls), exact(p.llm.inputTokens), exact(p.llm.outputTokens), exact(p.llm.costUsd)])}
                />
              }
            >
              <TimeChart label="LLM cost" x={charts.x} series={charts.cost} hourly={hourly} format={(v) => usd(v)} />
            </Panel>
            <Panel
              title="Tool calls by tool"
              id="tools"
              table={
                <DataTable testId="table-tools" caption="Tool calls by tool and front door" head={['Tool', 'Chat', 'MCP', 'Workflows', 'Total']} rows={tools.map((t) => [t.tool, exact(t.chat), exact(t.mcp), exact(t.workflow), exact(t.total)])} />
              }
            >
              <Bars items={tools.map((t) => ({ label: t.tool, value: t.total }))} format={(v) => v.toLocaleString()} />
            </Panel>
            <Panel
              title="LLM cost by model"
              id="models"
              table={
                c ? (
                  <DataTable
                    testId="table-models"
                    caption="LLM cost by model"
                    head={['Model', 'Calls', 'Input tokens', 'Output tokens', 'Cost (USD)']}
                    rows={c.models.map((m) => [m.key, exact(m.calls), exact(m.inputTokens), exact(m.outputTokens), exact(m.costUsd)])}
                  />
                ) : null
              }
            >
              {c ? <Bars items={c.models.map((m) => ({ label: m.key, value: m.costUsd }))} format={usd} /> : costsPending}
            </Panel>
            <Panel
              title={isAdmin ? 'LLM cost by member' : 'Your LLM cost'}
              id="members"
              table={
                c ? (
                  <DataTable
                    testId="table-members"
                    caption="LLM cost by member"
                    head={['Member', 'Calls', 'Input tokens', 'Output tokens', 'Cost (USD)']}
                    rows={c.users.map((m) => [nameOf(m.key), exact(m.calls), exact(m.inputTokens), exact(m.outputTokens), exact(m.costUsd)])}
                  />
                ) : null
              }
            >
              {c ? <Bars items={c.users.map((m) => ({ label: nameOf(m.key), value: m.costUsd }))} format={usd} /> : costsPending}
            </Panel>
            <section className="card stack chart-panel" aria-labelledby="budget-title">
              <h2 id="budget-title" className="panel-title">
                This month's budget{budget ? ` (${budget.month})` : ''}
              </h2>
              {budget ? (
                <>
                  <SpendMeter label="Workspace" spent={budget.tenant.spentUsd} limit={budget.tenant.limitUsd} threshold={budget.alertThreshold} />
                  <SpendMeter label="You" spent={budget.user.spentUsd} limit={budget.user.limitUsd} threshold={budget.alertThreshold} />
                </>
              ) : (
                costsPending
              )}
            </section>
          </div>
        </div>
      ) : null}
    </div>
  );
}
