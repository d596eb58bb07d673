// A tool step's form, made from the tool's input JSON Schema as the API's registry gives it
// (GET /api/v1/tools): no copy of any tool's arguments lives in the web app. Strings take
// references, numbers take numbers (or a reference), booleans are checkboxes, enumerations are
// selects, string lists are one per line, name → value maps are pairs, anything else is JSON.
import type { ReactNode } from 'react';
import { CheckField, JsonField, NumberField, PairsField, RefField, SelectInput, useDraft } from './fields';

export interface JsonSchema {
  type?: string | string[];
  description?: string;
  enum?: unknown[];
  oneOf?: JsonSchema[];
  const?: unknown;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  minimum?: number;
  maximum?: number;
  pattern?: string;
}

function baseType(s: JsonSchema): string | undefined {
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type;
  return t;
}

function choices(s: JsonSchema): { value: string; label: string }[] | null {
  if (s.enum?.every((v) => typeof v === 'string')) return (s.enum as string[]).map((v) => ({ value: v, label: v }));
  if (s.oneOf?.length && s.oneOf.every((o) => typeof o.const === 'string')) {
    return s.oneOf.map((o) => ({ value: String(o.const), label: o.description ? `${String(o.const)} — ${o.description}` : String(o.const) }));
  }
  return null;
}

function humanise(name: string): string {
  const t = name.replace(/_/g, ' ');
  return `${t[0]?.toUpperCase() ?? ''}${t.slice(1)}`;
}

/** Extra help a property gets from the page (e.g. the bases to pick from for `base_id`). */
export type ListFor = (property: string, input: Record<string, unknown>) => string | undefined;

export function SchemaForm({ schema, value, path, onChange, listFor }: { schema: JsonSchema; value: Record<string, unknown>; path: string; onChange: (v: Record<string, unknown>) => void; listFor?: ListFor }) {
  const props = Object.entries(schema.properties ?? {});
  const required = new Set(schema.required ?? []);
  // Required arguments first, then the optional ones, each group in the registry's order.
  props.sort(([a], [b]) => Number(required.has(b)) - Number(required.has(a)));
  const set = (k: string, v: unknown) => {
    const next = { ...value };
    if (v === undefined || v === '') delete next[k];
    else next[k] = v;
    onChange(next);
  };
  if (props.length === 0) return <p className="small muted">This tool takes no arguments.</p>;
  return (
    <div className="form-grid">
      {props.map(([name, s]) => {
        const p = `${path}.${name}`;
        const label = `${humanise(name)}${required.has(name) ? '' : ' (optional)'}`;
        const description: ReactNode = s.description;
        const v = value[name];
        const opts = choices(s);
        const t = baseType(s);
        if (opts) {
          return <SelectInput key={name} label={label} path={p} value={typeof v === 'string' ? v : ''} options={opts} onChange={(x) => set(name, x || undefined)} description={description} allowEmpty={required.has(name) ? 'Choose…' : '— default —'} />;
        }
        if (t === 'boolean') {
          const checked = typeof v === 'boolean' ? v : s.default === true;
          return <CheckField key={name} label={humanise(name)} path={p} checked={checked} onChange={(x) => set(name, x === (s.default ?? false) && v === undefined ? undefined : x)} description={description} />;
        }
        if (t === 'integer' || t === 'number') {
          return <NumberField key={name} label={label} path={p} value={v} onChange={(x) => set(name, x)} description={description} min={s.minimum} max={s.maximum} />;
        }
        if (t === 'string') {
          return <RefField key={name} label={label} path={p} value={typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v)} onChange={(x) => set(name, x)} description={description} list={listFor?.(name, value)} />;
        }
        if (t === 'array' && s.items && baseType(s.items) === 'string' && !choices(s.items)) {
          return <ListField key={name} label={label} path={p} value={v} onChange={(x) => set(name, x)} description={description} />;
        }
        if (t === 'object' && !s.properties && s.additionalProperties !== false) {
          return (
            <PairsField
              key={name}
              label={label}
              path={p}
              keyLabel="Field"
              keyList={listFor?.(`${name}:keys`, value)}
              value={v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined}
              onChange={(x) => set(name, x)}
              description={description}
            />
          );
        }
        return <JsonField key={name} label={`${label} (JSON)`} path={p} value={v} onChange={(x) => set(name, x)} description={description} />;
      })}
    </div>
  );
}

/** A list of strings, one per line, or one `{{…}}` reference giving a list. */
function ListField({ label, path, value, onChange, description }: { label: string; path: string; value: unknown; onChange: (v: unknown) => void; description: ReactNode }) {
  const [text, edit] = useDraft(value, (v) => (Array.isArray(v) ? v.join('\n') : typeof v === 'string' ? v : ''), onChange);
  return (
    <RefField
      label={label}
      path={path}
      multiline
      value={text}
      description={
        <>
          {description} One per line (or one {'{{…}}'} reference giving a list).
        </>
      }
      onChange={(x) => {
        const lines = x
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean);
        edit(x, lines.length === 1 && /^\{\{[^}]+\}\}$/.test(lines[0] ?? '') ? lines[0] : lines.length ? lines : undefined);
      }}
    />
  );
}
