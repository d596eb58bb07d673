// The editor's inputs: each knows the API path it edits (`steps[0].input.url`), shows the API's
// 422 message for that path under itself, and text inputs offer the `{{…}}` references the step
// may use from a menu (keyboard and screen-reader friendly, inserted at the cursor).
import { createContext, useContext, useId, useRef, useState, type ReactNode } from 'react';
import { Menu, MenuItem, MenuTrigger, Popover } from 'react-aria-components';
import type { Problem } from '../../api/problem';
import { Button } from '../../ui/Button';

export interface EditorCtx {
  problem: Problem | null;
  /** The `{{…}}` references usable at a step's path. */
  refsFor: (stepPath: string) => { ref: string; hint: string }[];
  readOnly: boolean;
}

export const EditorContext = createContext<EditorCtx>({ problem: null, refsFor: () => [], readOnly: false });

export function useEditor() {
  return useContext(EditorContext);
}

/** A value edited as a draft of another shape (JSON text, lines, rows): the draft keeps what the
 *  user typed while it stands for the value, and follows the value when it changes from outside
 *  (a step moved into this place, a reload of the saved version, the JSON view). `edit` takes the
 *  new draft and, when it stands for a value, that value (which is then passed to `onChange`). */
export function useDraft<T, D>(value: T, toDraft: (v: T) => D, onChange: (v: T) => void): [D, (draft: D, ...emitted: [] | [T]) => void] {
  const key = (v: T) => JSON.stringify(v ?? null);
  const [state, setState] = useState(() => ({ draft: toDraft(value), seen: key(value) }));
  let current = state;
  if (key(value) !== state.seen) {
    // Changed from outside: start again from the value (a render-time update, no extra render).
    current = { draft: toDraft(value), seen: key(value) };
    setState(current);
  }
  const edit = (draft: D, ...emitted: [] | [T]) => {
    if (emitted.length === 0) {
      setState({ draft, seen: current.seen });
      return;
    }
    const [v] = emitted;
    setState({ draft, seen: key(v) });
    onChange(v);
  };
  return [current.draft, edit];
}

/** The API's message for exactly this path. */
export function useFieldError(path: string): string | undefined {
  const { problem } = useEditor();
  return problem?.errors?.find((e) => e.field === path)?.message;
}

/** The step a field path belongs to: `steps[1].then[0].input.url` → `steps[1].then[0]`. */
export function stepOf(path: string): string {
  const m = /^(.*\])\.(?:input|if|items|maxItems|id|type|retry|name|continueOnError)(?:\.|\[|$)/.exec(path);
  return m?.[1] ?? path;
}

export function Shell({ label, path, description, error, children, htmlFor, wide = false }: { label: string; path: string; description?: ReactNode; error?: string | undefined; children: ReactNode; htmlFor: string; wide?: boolean }) {
  return (
    <div className={`field${wide ? ' form-grid-wide' : ''}`} data-field={path}>
      <label htmlFor={htmlFor}>{label}</label>
      {children}
      {description ? (
        <div id={`${htmlFor}-desc`} className="field-description">
          {description}
        </div>
      ) : null}
      {error ? (
        <div id={`${htmlFor}-err`} className="field-error" role="alert">
          {error}
        </div>
      ) : null}
    </div>
  );
}

function describedBy(id: string, description: unknown, error: unknown): string | undefined {
  return [description ? `${id}-desc` : '', error ? `${id}-err` : ''].filter(Boolean).join(' ') || undefined;
}

/** Text with the `{{…}}` menu. `multiline` makes it a textarea. */
export function RefField({
  label,
  path,
  value,
  onChange,
  description,
  multiline = false,
  placeholder,
  list,
  wide = false,
  refs: refsOverride,
}: {
  label: string;
  path: string;
  value: string;
  onChange: (v: string) => void;
  description?: ReactNode;
  multiline?: boolean;
  placeholder?: string | undefined;
  list?: string | undefined;
  wide?: boolean;
  refs?: { ref: string; hint: string }[];
}) {
  const id = useId();
  const { refsFor, readOnly } = useEditor();
  const error = useFieldError(path);
  const el = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const caret = useRef<number | null>(null);
  const refs = refsOverride ?? refsFor(stepOf(path));
  const insert = (ref: string) => {
    const text = `{{${ref}}}`;
    const at = caret.current ?? value.length;
    onChange(value.slice(0, at) + text + value.slice(at));
    caret.current = at + text.length;
    window.setTimeout(() => {
      el.current?.focus();
      el.current?.setSelectionRange(caret.current ?? 0, caret.current ?? 0);
    }, 0);
  };
  const common = {
    id,
    ref: el,
    className: 'input',
    value,
    readOnly,
    placeholder,
    'data-path': path,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy(id, description, error),
    onChange: (e: { target: { value: string; selectionStart: number | null } }) => {
      caret.current = e.target.selectionStart;
      onChange(e.target.value);
    },
    onSelect: (e: { currentTarget: { selectionStart: number | null } }) => {
      caret.current = e.currentTarget.selectionStart;
    },
  };
  return (
    <Shell label={label} path={path} description={description} error={error} htmlFor={id} wide={wide || multiline}>
      <div className="ref-row">
        {multiline ? <textarea rows={3} {...common} /> : <input list={list} {...common} />}
        {!readOnly && refs.length > 0 ? (
          <MenuTrigger>
            <Button size="sm" className="ref-button" aria-label={`Insert a reference into ${label}`}>
              {'{{…}}'}
            </Button>
            <Popover className="popover" placement="bottom end">
              <Menu className="menu" onAction={(k) => insert(String(k))} aria-label={`References for ${label}`}>
                {refs.map((r) => (
                  <MenuItem key={r.ref} id={r.ref} className="menu-item ref-item" textValue={r.ref}>
                    <code>{`{{${r.ref}}}`}</code>
                    <span className="small muted">{r.hint}</span>
                  </MenuItem>
                ))}
              </Menu>
            </Popover>
          </MenuTrigger>
        ) : null}
      </div>
    </Shell>
  );
}

/** Any JSON value, edited as text; kept as the last valid value, with the parse error shown. */
export function JsonField({ label, path, value, onChange, description, rows = 4 }: { label: string; path: string; value: unknown; onChange: (v: unknown) => void; description?: ReactNode; rows?: number }) {
  const id = useId();
  const { readOnly } = useEditor();
  const apiError = useFieldError(path);
  const [text, edit] = useDraft(value, (v) => (v === undefined ? '' : JSON.stringify(v, null, 2)), onChange);
  const [parseError, setParseError] = useState<string | null>(null);
  const error = parseError ?? apiError;
  return (
    <Shell label={label} path={path} description={description} error={error} htmlFor={id} wide>
      <textarea
        id={id}
        className="input mono"
        rows={rows}
        value={text}
        readOnly={readOnly}
        data-path={path}
        spellCheck={false}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, description, error)}
        onChange={(e) => {
          const typed = e.target.value;
          if (!typed.trim()) {
            setParseError(null);
            edit(typed, undefined);
            return;
          }
          let parsed: unknown;
          try {
            parsed = JSON.parse(typed);
          } catch (err) {
            setParseError(`Not valid JSON yet: ${err instanceof Error ? err.message : String(err)}`);
            edit(typed);
            return;
          }
          setParseError(null);
          edit(typed, parsed);
        }}
      />
    </Shell>
  );
}

/** A number, or a `{{…}}` reference giving one. */
export function NumberField({ label, path, value, onChange, description, min, max }: { label: string; path: string; value: unknown; onChange: (v: number | string | undefined) => void; description?: ReactNode; min?: number | undefined; max?: number | undefined }) {
  const id = useId();
  const { readOnly } = useEditor();
  const error = useFieldError(path);
  return (
    <Shell label={label} path={path} description={description} error={error} htmlFor={id}>
      <input
        id={id}
        className="input"
        inputMode="numeric"
        readOnly={readOnly}
        data-path={path}
        value={value === undefined || value === null ? '' : String(value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, description, error)}
        placeholder={min !== undefined || max !== undefined ? `${min ?? ''}–${max ?? ''}` : undefined}
        onChange={(e) => {
          const t = e.target.value.trim();
          if (!t) onChange(undefined);
          else if (/^-?\d+(\.\d+)?$/.test(t)) onChange(Number(t));
          else onChange(e.target.value);
        }}
      />
    </Shell>
  );
}

export function SelectInput({ label, path, value, options, onChange, description, allowEmpty }: { label: string; path: string; value: string; options: { value: string; label: string }[]; onChange: (v: string) => void; description?: ReactNode; allowEmpty?: string }) {
  const id = useId();
  const { readOnly } = useEditor();
  const error = useFieldError(path);
  return (
    <Shell label={label} path={path} description={description} error={error} htmlFor={id}>
      <select id={id} className="input" value={value} disabled={readOnly} data-path={path} aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, description, error)} onChange={(e) => onChange(e.target.value)}>
        {allowEmpty !== undefined ? <option value="">{allowEmpty}</option> : null}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Shell>
  );
}

export function CheckField({ label, path, checked, onChange, description }: { label: string; path: string; checked: boolean; onChange: (v: boolean) => void; description?: ReactNode }) {
  const id = useId();
  const { readOnly } = useEditor();
  const error = useFieldError(path);
  return (
    <div className="field field-check" data-field={path}>
      <label className="checkbox" htmlFor={id}>
        <input id={id} type="checkbox" checked={checked} disabled={readOnly} data-path={path} aria-describedby={describedBy(id, description, error)} onChange={(e) => onChange(e.target.checked)} />
        {label}
      </label>
      {description ? (
        <div id={`${id}-desc`} className="field-description">
          {description}
        </div>
      ) : null}
      {error ? (
        <div id={`${id}-err`} className="field-error" role="alert">
          {error}
        </div>
      ) : null}
    </div>
  );
}

/** `{name: value}` pairs (a record's fields, a request's headers), values with references. */
export function PairsField({ label, path, value, onChange, keyLabel, description, keyList }: { label: string; path: string; value: Record<string, unknown> | undefined; onChange: (v: Record<string, unknown> | undefined) => void; keyLabel: string; description?: ReactNode; keyList?: string | undefined }) {
  const { readOnly } = useEditor();
  const error = useFieldError(path);
  const [draft, edit] = useDraft(value, (v) => Object.entries(v ?? {}).map(([k, x]): [string, string] => [k, typeof x === 'string' ? x : JSON.stringify(x)]), onChange);
  const setDraft = (rows: [string, string][]) => edit(rows);
  const commit = (rows: [string, string][]) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of rows) {
      if (!k.trim()) continue;
      // true/false and numbers keep their JSON type; anything else is text (or a template).
      out[k] = /^(true|false|-?\d+(\.\d+)?)$/.test(v.trim()) ? JSON.parse(v.trim()) : v;
    }
    edit(rows, Object.keys(out).length ? out : undefined);
  };
  return (
    <fieldset className="pairs form-grid-wide" data-field={path}>
      <legend className="field-label">{label}</legend>
      {description ? <div className="field-description">{description}</div> : null}
      {draft.map(([k, v], i) => (
        <div key={i} className="pair">
          <div className="field">
            <label htmlFor={`${path}-k${i}`} className="visually-hidden">
              {keyLabel} {i + 1}
            </label>
            <input id={`${path}-k${i}`} className="input" list={keyList} placeholder={keyLabel} value={k} readOnly={readOnly} data-path={`${path}.${k}`} onChange={(e) => commit(draft.map((row, j) => (j === i ? [e.target.value, row[1]] : row)))} />
          </div>
          <RefField label={`Value of ${k || `${keyLabel.toLowerCase()} ${i + 1}`}`} path={`${path}.${k || i}`} value={v} onChange={(nv) => commit(draft.map((row, j) => (j === i ? [row[0], nv] : row)))} />
          {!readOnly ? (
            <Button size="sm" variant="ghost" onPress={() => commit(draft.filter((_, j) => j !== i))} aria-label={`Remove ${k || `${keyLabel.toLowerCase()} ${i + 1}`}`}>
              Remove
            </Button>
          ) : null}
        </div>
      ))}
      {!readOnly ? (
        <Button size="sm" onPress={() => setDraft([...draft, ['', '']])}>
          + Add {keyLabel.toLowerCase()}
        </Button>
      ) : null}
      {error ? (
        <div className="field-error" role="alert">
          {error}
        </div>
      ) : null}
    </fieldset>
  );
}
