// The command palette: type to filter every page, table, workflow and conversation; arrows to
// move, Enter to go, Escape to close. A combobox (the input) controlling a listbox, with the
// active option announced through aria-activedescendant.
import { useMemo, useState, type KeyboardEvent } from 'react';
import { useQueries } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { Dialog, Heading, Modal, ModalOverlay } from 'react-aria-components';
import { atLeast } from '../api/types';
import { useMe } from './auth';
import { useSessions } from '../features/chat/api';
import { schemaQuery, useBases } from '../features/records/api';
import { useWorkflows } from '../features/workflows/api';

interface Item {
  id: string;
  group: 'Pages' | 'Tables' | 'Workflows' | 'Conversations';
  label: string;
  hint?: string;
  to: string;
}

const PAGES: (Omit<Item, 'group'> & { admin?: boolean })[] = [
  { id: 'p-bases', label: 'Bases', to: '/bases' },
  { id: 'p-files', label: 'Files', hint: 'upload and import', to: '/files' },
  { id: 'p-workflows', label: 'Workflows', to: '/workflows' },
  { id: 'p-new-workflow', label: 'New workflow', to: '/workflows/new' },
  { id: 'p-jobs', label: 'Jobs', hint: 'imports and sagas', to: '/jobs' },
  { id: 'p-usage', label: 'Usage and costs', to: '/usage' },
  { id: 'p-chat', label: 'New chat', to: '/chat' },
  { id: 'p-workspace', label: 'Settings: workspace', to: '/settings/workspace' },
  { id: 'p-members', label: 'Settings: members', to: '/settings/members' },
  { id: 'p-keys', label: 'Settings: API keys', to: '/settings/api-keys' },
  { id: 'p-budgets', label: 'Settings: budgets', to: '/settings/budgets' },
  { id: 'p-airtable', label: 'Settings: Airtable', to: '/settings/airtable' },
  { id: 'p-mcp', label: 'Settings: MCP', to: '/settings/mcp' },
  { id: 'p-secrets', label: 'Settings: secrets', to: '/settings/secrets' },
];

/** At most this many bases have their tables listed (each is a schema read). */
const MAX_BASES = 10;

function matches(item: Item, words: string[]): boolean {
  const text = `${item.label} ${item.hint ?? ''} ${item.group}`.toLowerCase();
  return words.every((w) => text.includes(w));
}

export default function PaletteDialog({ isOpen, onOpenChange }: { isOpen: boolean; onOpenChange: (open: boolean) => void }) {
  const me = useMe();
  const navigate = useNavigate();
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const bases = useBases(isOpen);
  const workflows = useWorkflows();
  const sessions = useSessions();
  const schemas = useQueries({
    queries: (bases.data ?? []).slice(0, MAX_BASES).map((b) => schemaQuery(b.id)),
  });

  const items = useMemo(() => {
    const out: Item[] = PAGES.filter((p) => !p.admin || atLeast(me.role, 'admin')).map((p) => ({ ...p, group: 'Pages' as const }));
    (bases.data ?? []).slice(0, MAX_BASES).forEach((b, i) => {
      for (const t of schemas[i]?.data ?? []) out.push({ id: `t-${t.id}`, group: 'Tables', label: t.name, hint: b.name, to: `/bases/${b.id}/tables/${t.id}` });
    });
    for (const w of workflows.data ?? []) out.push({ id: `w-${w.id}`, group: 'Workflows', label: w.name, hint: w.trigger.type.replace('_', ' '), to: `/workflows/${w.id}` });
    for (const s of sessions.data ?? []) out.push({ id: `c-${s.id}`, group: 'Conversations', label: s.title || 'Untitled', to: `/chat/${s.id}` });
    return out;
  }, [me.role, bases.data, schemas, workflows.data, sessions.data]);

  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = items.filter((i) => matches(i, words)).slice(0, 50);
  const current = Math.min(active, Math.max(0, shown.length - 1));
  const go = (item: Item | undefined) => {
    if (!item) return;
    onOpenChange(false);
    setQuery('');
    navigate(item.to);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive((a) => Math.min(a + 1, shown.length - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === 'Home') {
      setActive(0);
    } else if (e.key === 'End') {
      setActive(shown.length - 1);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      go(shown[current]);
    }
  };
  const loading = bases.isFetching || workflows.isFetching || sessions.isFetching || schemas.some((s) => s.isFetching);
  // Some of what could be listed did not load: say so rather than "nothing matches".
  const failed = bases.isError || workflows.isError || sessions.isError || schemas.some((s) => s.isError);

  return (
    <ModalOverlay className="modal-overlay palette-overlay" isOpen={isOpen} onOpenChange={onOpenChange} isDismissable>
      <Modal className="modal palette">
        <Dialog className="dialog palette-dialog" aria-label="Jump to">
          <Heading slot="title" level={2} className="visually-hidden">
            Jump to
          </Heading>
          <input
            className="input palette-input"
            role="combobox"
            aria-expanded="true"
            aria-controls="palette-list"
            aria-autocomplete="list"
            aria-activedescendant={shown[current] ? `palette-${shown[current].id}` : undefined}
            aria-label="Jump to a page, table, workflow or conversation"
            placeholder="Jump to a page, table, workflow or conversation…"
            autoFocus
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              setActive(0);
            }}
            onKeyDown={onKeyDown}
          />
          <ul id="palette-list" role="listbox" aria-label="Results" className="palette-list">
            {shown.map((item, i) => (
              <li
                key={item.id}
                id={`palette-${item.id}`}
                role="option"
                aria-selected={i === current}
                className="palette-item"
                onMouseMove={() => setActive(i)}
                onClick={() => go(item)}
              >
                <span className="palette-group">{item.group.replace(/s$/, '')}</span>
                <span className="palette-label">{item.label}</span>
                {item.hint ? <span className="palette-hint-text">{item.hint}</span> : null}
              </li>
            ))}
          </ul>
          <p className="small muted" role="status">
            {shown.length === 0 ? (loading ? 'Loading…' : 'Nothing matches.') : `${shown.length} ${shown.length === 1 ? 'result' : 'results'}${loading ? ', more loading' : ''}`}
            {failed ? ' · some tables, workflows or conversations could not be loaded' : ''} · ↑↓ to move, Enter to go, Esc to close
          </p>
        </Dialog>
      </Modal>
    </ModalOverlay>
  );
}
