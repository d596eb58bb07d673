// `/chat/:sessionId?`: sessions, the conversation, a streamed answer with its tool calls, cost
// and tokens, the month's budget, Stop, and the states a turn can end in. The history is a
// memoised list: streamed tokens re-render only the live turn.
import { memo, useCallback, useEffect, useMemo, useReducer, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import { Link, NavLink, useNavigate, useParams, useSearchParams } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { ApiError, asProblem, type Problem } from '../../api/problem';
import { atLeast, type Budgets, type ChatDone, type ChatSessionSummary, type TurnUsage } from '../../api/types';
import { useMe } from '../../app/auth';
import { reread } from '../../lib/query';
import { useMediaQuery } from '../../ui/useMediaQuery';
import { Alert, ProblemAlert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { ConfirmDialog } from '../../ui/Dialog';
import { EmptyState, Loading, Skeleton } from '../../ui/feedback';
import { SpendMeter } from '../../ui/Meter';
import { Icon } from '../../ui/Icon';
import { SelectField } from '../../ui/Select';
import { useTitle } from '../../ui/useTitle';
import { useBases } from '../records/api';
import { settingsKeys, useBudgets } from '../settings/api';
import { chatKeys, streamTurn, useDeleteSession, useSession, useSessions, type ChatBody } from './api';
import { Markdown } from './Markdown';
import { ToolCard, type ToolView } from './ToolCard';
import { groupTurns, money, usageLine, type Turn, type TurnPart } from './turns';

// ---------------------------------------------------------------- the live turn

interface Live {
  id: number;
  question: string;
  status: 'sending' | 'streaming' | 'done' | 'stopped' | 'error' | 'cut';
  parts: TurnPart[];
  usage: TurnUsage | null;
  problem: Problem | null;
  sessionId: string | null;
  stopped?: ChatDone['stopped'];
}

type Action =
  | { type: 'start'; id: number; question: string }
  | { type: 'session'; sessionId: string }
  | { type: 'text'; text: string }
  | { type: 'toolStarted'; tool: ToolView }
  | { type: 'toolFinished'; id: string; ok: boolean; summary: string; result?: unknown; hasResult: boolean }
  | { type: 'usage'; usage: TurnUsage }
  | { type: 'end'; status: Live['status']; problem?: Problem; stopped?: ChatDone['stopped'] }
  | { type: 'clear' };

function reduce(s: Live | null, a: Action): Live | null {
  if (a.type === 'start') return { id: a.id, question: a.question, status: 'sending', parts: [], usage: null, problem: null, sessionId: null };
  if (a.type === 'clear' || !s) return null;
  switch (a.type) {
    case 'session':
      return { ...s, sessionId: a.sessionId, status: 'streaming' };
    case 'text': {
      const last = s.parts.at(-1);
      const parts = last?.kind === 'text' ? [...s.parts.slice(0, -1), { kind: 'text' as const, text: last.text + a.text }] : [...s.parts, { kind: 'text' as const, text: a.text }];
      return { ...s, parts, status: 'streaming' };
    }
    case 'toolStarted':
      return { ...s, parts: [...s.parts, { kind: 'tool', tool: a.tool }], status: 'streaming' };
    case 'toolFinished':
      return {
        ...s,
        parts: s.parts.map((p) =>
          p.kind === 'tool' && p.tool.id === a.id
            ? { kind: 'tool', tool: { ...p.tool, status: a.ok ? 'succeeded' : 'failed', summary: a.summary, hasResult: a.hasResult, ...(a.hasResult ? { result: a.result } : {}) } }
            : p,
        ),
      };
    case 'usage':
      return { ...s, usage: a.usage };
    case 'end': {
      const next: Live = { ...s, status: a.status, problem: a.problem ?? null };
      if (a.stopped) next.stopped = a.stopped;
      return next;
    }
  }
  return s;
}

function TurnView({ question, parts, usage, footer, live = false }: { question: string; parts: TurnPart[]; usage: TurnUsage | null; footer?: ReactNode; live?: boolean }) {
  return (
    <article className="turn" aria-label={live ? 'Answer in progress' : undefined}>
      <div className="bubble bubble-user">
        <span className="visually-hidden">You asked: </span>
        {question}
      </div>
      <div className="bubble bubble-assistant">
        <span className="visually-hidden">Assistant: </span>
        {parts.map((p, i) => (p.kind === 'text' ? <Markdown key={i} text={p.text} /> : <ToolCard key={p.tool.id || i} tool={p.tool} />))}
        {footer}
        {usage ? (
          <p className="turn-usage small muted" aria-label={`Cost of this answer: ${usageLine(usage)}`}>
            {usageLine(usage)}
          </p>
        ) : null}
      </div>
    </article>
  );
}

const History = memo(function History({ turns }: { turns: Turn[] }) {
  return (
    <>
      {turns.map((t) => (
        <TurnView key={t.key} question={t.question} parts={t.parts} usage={t.usage.modelCalls > 0 ? t.usage : null} />
      ))}
    </>
  );
});

function LiveTurnView({ live, onRetry }: { live: Live; onRetry: () => void }) {
  const { problem } = live;
  const budget = problem?.code === 'budget-exceeded' || problem?.status === 429;
  const noModel = problem?.status === 503;
  let footer: ReactNode = null;
  if (live.status === 'sending') footer = <Loading label="Sending…" />;
  else if (live.status === 'streaming' && live.parts.length === 0) footer = <Loading label="Thinking…" />;
  else if (live.status === 'stopped') {
    footer = (
      <Alert tone="warning" role="status" title="Stopped">
        <p>You stopped this answer. The assistant may still finish it in the background; it then appears in this conversation.</p>
      </Alert>
    );
  } else if (live.status === 'cut') {
    footer = (
      <Alert tone="warning" role="alert" title="The answer was cut off">
        <p>The connection ended before the answer finished. It may still appear in this conversation in a moment.</p>
      </Alert>
    );
  } else if (problem && budget) {
    footer = (
      <Alert tone="warning" role="alert" title="Monthly budget reached">
        <p>{problem.detail ?? problem.title}</p>
        <p>
          <Link to="/settings/budgets">See the budgets</Link>
        </p>
      </Alert>
    );
  } else if (problem && noModel) {
    footer = (
      <Alert tone="warning" role="alert" title="No language model is configured">
        <p>{problem.detail ?? problem.title}</p>
        <p className="small">Whoever runs this PyAirtable sets LLM_PROVIDER and LLM_MODEL (see the README's Chat section).</p>
      </Alert>
    );
  } else if (problem) {
    footer = <ProblemAlert problem={problem} title={live.status === 'error' ? `The answer failed: ${problem.title}` : undefined} action={<Button size="sm" onPress={onRetry}>Try again</Button>} />;
  }
  if (live.stopped && live.status === 'done') {
    footer = (
      <Alert tone="warning" role="status" title="The answer stopped early">
        <p>
          {live.stopped === 'budget'
            ? 'The monthly budget ran out during this answer.'
            : live.stopped === 'time'
              ? 'The answer ran out of time.'
              : live.stopped === 'iteration_limit'
                ? 'The assistant reached its limit of model calls for one message.'
                : 'The model failed before finishing.'}
        </p>
      </Alert>
    );
  }
  return <TurnView question={live.question} parts={live.parts} usage={live.usage} footer={footer} live />;
}

// ---------------------------------------------------------------- sessions

function SessionsList({ current, onDeleted }: { current: string | undefined; onDeleted: (id: string) => void }) {
  const sessions = useSessions();
  const del = useDeleteSession();
  const [doomed, setDoomed] = useState<ChatSessionSummary | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  return (
    <div className="sessions">
      <div className="row-between sessions-head">
        <h2 className="sessions-title">Conversations</h2>
        <Link className="btn btn-sm btn-primary" to="/chat">
          + New chat
        </Link>
      </div>
      {sessions.isPending ? (
        <div aria-label="Loading conversations" role="status" className="stack">
          <Skeleton height={36} />
          <Skeleton height={36} />
        </div>
      ) : null}
      {sessions.isError ? <ProblemAlert problem={asProblem(sessions.error)} /> : null}
      {sessions.data && sessions.data.length === 0 ? <p className="small muted">No conversations yet. Ask something to start one.</p> : null}
      {sessions.data && sessions.data.length > 0 ? (
        <ul className="session-list">
          {sessions.data.map((s) => (
            <li key={s.id} className="session-item" data-current={s.id === current || undefined}>
              <NavLink to={`/chat/${s.id}`} className="session-link">
                <span className="session-name">{s.title || 'Untitled'}</span>
                <span className="small muted">
                  {new Date(s.updatedAt).toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} · {money(s.costUsd)}
                </span>
              </NavLink>
              <Button size="sm" variant="ghost" icon aria-label={`Delete conversation “${s.title}”`} onPress={() => setDoomed(s)}>
                <Icon name="trash" />
              </Button>
            </li>
          ))}
        </ul>
      ) : null}
      <ConfirmDialog
        isOpen={doomed !== null}
        onOpenChange={(o) => {
          if (!o) {
            setDoomed(null);
            setProblem(null);
          }
        }}
        title="Delete this conversation?"
        confirmLabel="Delete conversation"
        isPending={del.isPending}
        onConfirm={() => {
          if (!doomed) return;
          del.mutate(doomed.id, {
            onSuccess: () => {
              onDeleted(doomed.id);
              setDoomed(null);
            },
            onError: (e) => setProblem(asProblem(e)),
          });
        }}
      >
        <p>“{doomed?.title}” and all its messages are deleted for good.</p>
        {problem ? <ProblemAlert problem={problem} /> : null}
      </ConfirmDialog>
    </div>
  );
}

function BudgetPanel() {
  const budgets = useBudgets();
  if (budgets.isPending) return <Skeleton height={40} />;
  if (budgets.isError) return <p className="small muted">Budget unavailable: {asProblem(budgets.error).title}</p>;
  const b = budgets.data;
  return (
    <section className="budget-panel" aria-label={`LLM spend this month (${b.month})`} title={`LLM spend in ${b.month}`}>
      <SpendMeter label="You" spent={b.user.spentUsd} limit={b.user.limitUsd} threshold={b.alertThreshold} />
      <SpendMeter label="Workspace" spent={b.tenant.spentUsd} limit={b.tenant.limitUsd} threshold={b.alertThreshold} />
    </section>
  );
}

// ---------------------------------------------------------------- the page

let turnCounter = 0;

export function Component() {
  const { sessionId } = useParams();
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const me = useMe();
  const session = useSession(sessionId);
  const bases = useBases();
  useTitle(session.data?.title ? `Chat · ${session.data.title}` : 'Chat');

  const [live, dispatch] = useReducer(reduce, null);
  const abortRef = useRef<AbortController | null>(null);
  const lastBody = useRef<ChatBody | null>(null);
  const [text, setText] = useState(() => params.get('ask') ?? '');
  const baseFromUrl = params.get('base');
  const [baseId, setBaseId] = useState<string>(baseFromUrl ?? '');
  useEffect(() => {
    if (session.data?.baseId && !baseFromUrl) setBaseId(session.data.baseId);
  }, [session.data?.baseId, baseFromUrl]);

  // A new conversation (or another one) clears the live turn, unless it is the one streaming.
  const liveSession = live?.sessionId ?? null;
  useEffect(() => {
    if (live && live.status !== 'streaming' && live.status !== 'sending' && liveSession !== (sessionId ?? null)) dispatch({ type: 'clear' });
  }, [sessionId]);

  const turns = useMemo(() => groupTurns(session.data?.messages ?? []), [session.data?.messages]);
  const endRef = useRef<HTMLDivElement>(null);
  const logRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    endRef.current?.scrollIntoView({ block: 'end' });
  }, [turns.length, live?.id, live?.status]);
  // Follow the streamed answer while the reader is at the bottom (not when they scrolled up).
  useEffect(() => {
    const log = logRef.current;
    if (log && log.scrollHeight - log.scrollTop - log.clientHeight < 160) log.scrollTop = log.scrollHeight;
  }, [live]);

  // Streamed text arrives in many small pieces: apply them once per frame.
  const pending = useRef('');
  const frame = useRef<number | null>(null);
  const flush = useCallback(() => {
    frame.current = null;
    if (pending.current) {
      dispatch({ type: 'text', text: pending.current });
      pending.current = '';
    }
  }, []);

  const streaming = live?.status === 'sending' || live?.status === 'streaming';

  const send = useCallback(
    async (body: ChatBody) => {
      const controller = new AbortController();
      abortRef.current = controller;
      lastBody.current = body;
      const id = ++turnCounter;
      dispatch({ type: 'start', id, question: body.message });
      let newSession: string | null = body.sessionId ?? null;
      try {
        const ending = await streamTurn(body, controller.signal, {
          onSession: (sid) => {
            newSession = sid;
            dispatch({ type: 'session', sessionId: sid });
          },
          onDelta: (t) => {
            pending.current += t;
            if (frame.current === null) frame.current = requestAnimationFrame(flush);
          },
          onToolStarted: (c) => {
            flush();
            dispatch({ type: 'toolStarted', tool: { id: c.id, name: c.name, arguments: c.arguments, status: 'running', hasResult: false } });
          },
          onToolFinished: (c) => dispatch({ type: 'toolFinished', id: c.id, ok: c.ok, summary: c.summary, result: c.result, hasResult: c.result !== undefined }),
          onUsage: (u) => dispatch({ type: 'usage', usage: u }),
          onDone: (d) => {
            flush();
            dispatch(d.stopped ? { type: 'end', status: 'done', stopped: d.stopped } : { type: 'end', status: 'done' });
            qc.setQueryData<Budgets>(settingsKeys.budgets, (b) => (b ? { ...b, tenant: d.budget.tenant, user: d.budget.user } : b));
          },
          onError: (p) => {
            flush();
            dispatch({ type: 'end', status: 'error', problem: p });
          },
        });
        flush();
        if (ending === 'cut') dispatch({ type: 'end', status: 'cut' });
        if (ending === 'done' && newSession) {
          // The saved turn replaces the live one once the history has it.
          await reread(qc, chatKeys.sessions);
          if (newSession !== sessionId) navigate(`/chat/${newSession}`, { replace: !sessionId });
          await qc.refetchQueries({ queryKey: chatKeys.session(newSession) });
          dispatch({ type: 'clear' });
        }
      } catch (err) {
        flush();
        if (err instanceof DOMException && err.name === 'AbortError') {
          dispatch({ type: 'end', status: 'stopped' });
          void reread(qc, chatKeys.sessions);
        } else {
          dispatch({ type: 'end', status: 'error', problem: err instanceof ApiError ? err.problem : asProblem(err) });
        }
      } finally {
        if (abortRef.current === controller) abortRef.current = null;
      }
    },
    [flush, navigate, qc, sessionId],
  );

  useEffect(() => () => abortRef.current?.abort(), []);

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    const message = text.trim();
    if (!message || streaming) return;
    const body: ChatBody = { message };
    if (sessionId) body.sessionId = sessionId;
    if (baseId) body.baseId = baseId;
    setText('');
    if (params.has('ask')) {
      setParams(
        (p) => {
          const n = new URLSearchParams(p);
          n.delete('ask');
          return n;
        },
        { replace: true },
      );
    }
    void send(body);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  };

  const baseOptions = [{ id: '', label: 'All bases' }, ...(bases.data ?? []).map((b) => ({ id: b.id, label: b.name }))];
  const viewer = !atLeast(me.role, 'member');
  const showEmpty = !sessionId && !live;
  // On a phone the conversation list is folded away.
  const wide = useMediaQuery('(min-width: 821px)');

  return (
    <div className="chat-page">
      <aside className="chat-sidebar" aria-label="Conversations">
        <details className="sessions-disclosure" open={wide}>
          <summary className="sessions-summary">Conversations</summary>
          <SessionsList
            current={sessionId}
            onDeleted={(id) => {
              if (id === sessionId) navigate('/chat');
            }}
          />
        </details>
      </aside>
      <section className="chat-main" aria-label="Conversation">
        <div className="chat-top">
          <h1 className="chat-title">{sessionId ? (session.data?.title ?? 'Conversation') : 'New conversation'}</h1>
          <BudgetPanel />
        </div>
        <div className="chat-log" aria-live="off" ref={logRef}>
          {sessionId && session.isPending ? <Loading label="Loading the conversation…" /> : null}
          {sessionId && session.isError ? (
            <ProblemAlert problem={asProblem(session.error)} action={<Link className="btn btn-sm" to="/chat">New chat</Link>} />
          ) : null}
          {showEmpty ? (
            <EmptyState title="Ask about your data" icon="chat">
              The assistant reads (and, if you ask, changes) your Airtable through tools — every call is shown with its result.
              {viewer ? ' As a viewer, it can only read.' : ''}
            </EmptyState>
          ) : null}
          <History turns={turns} />
          {live ? <LiveTurnView live={live} onRetry={() => lastBody.current && void send(lastBody.current)} /> : null}
          <div ref={endRef} />
        </div>
        <div role="status" className="visually-hidden">
          {live?.status === 'streaming' ? 'The assistant is answering' : live?.status === 'done' ? 'The answer is complete' : ''}
        </div>
        <form className="composer" onSubmit={submit}>
          <div className="composer-options">
            <SelectField label="Base" options={baseOptions} value={baseId} onChange={setBaseId} className="composer-base" />
            <span id="composer-hint" className="small muted composer-hint">
              Enter to send · Shift+Enter for a new line
            </span>
          </div>
          <div className="composer-row">
            <label htmlFor="chat-message" className="visually-hidden">
              Message
            </label>
            <textarea
              id="chat-message"
              className="input composer-input"
              rows={2}
              placeholder="Ask about your data…"
              aria-describedby="composer-hint"
              value={text}
              onChange={(e) => setText(e.target.value)}
              onKeyDown={onKeyDown}
            />
            {streaming ? (
              <Button variant="danger" onPress={() => abortRef.current?.abort()}>
                Stop
              </Button>
            ) : (
              <Button type="submit" variant="primary" isDisabled={!text.trim()}>
                Send
              </Button>
            )}
          </div>
        </form>
      </section>
    </div>
  );
}
