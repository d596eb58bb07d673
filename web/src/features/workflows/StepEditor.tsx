// The steps of a definition: each a card with its form (a tool's from its schema, a built-in's
// own), moved up and down, removed, and nested under condition branches and for_each; an
// "Add step" control at the end of every list.
import { useId, useState } from 'react';
import type { CompareOp, Condition, Tool, WorkflowDefinition, WorkflowStep } from '../../api/types';
import { Button } from '../../ui/Button';
import { Icon } from '../../ui/Icon';
import { addStep, BUILT_IN, BUILT_IN_LABELS, freshId, moveStep, newStep, removeStep, updateAt } from './definition';
import { CheckField, JsonField, NumberField, PairsField, RefField, SelectInput, useEditor } from './fields';
import { SchemaForm, type JsonSchema, type ListFor } from './SchemaForm';

export interface StepsProps {
  def: WorkflowDefinition;
  setDef: (fn: (d: WorkflowDefinition) => WorkflowDefinition) => void;
  tools: Tool[];
  listFor: ListFor;
}

const OPS: { value: CompareOp; label: string }[] = [
  { value: 'equals', label: 'equals' },
  { value: 'notEquals', label: 'does not equal' },
  { value: 'contains', label: 'contains' },
  { value: 'notContains', label: 'does not contain' },
  { value: 'greaterThan', label: 'is greater than' },
  { value: 'greaterOrEqual', label: 'is at least' },
  { value: 'lessThan', label: 'is less than' },
  { value: 'lessOrEqual', label: 'is at most' },
  { value: 'exists', label: 'exists' },
  { value: 'notExists', label: 'does not exist' },
  { value: 'regex', label: 'matches the pattern' },
];

function asText(v: unknown): string {
  return v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
}

/** A condition: one comparison or a group (all / any) of comparisons; deeper nesting in JSON. */
function ConditionEditor({ path, cond, onChange }: { path: string; cond: Condition | undefined; onChange: (c: Condition) => void }) {
  const { readOnly } = useEditor();
  const group = cond && 'all' in cond ? 'all' : cond && 'any' in cond ? 'any' : null;
  const list: Condition[] = cond ? (group === 'all' ? (cond as { all: Condition[] }).all : group === 'any' ? (cond as { any: Condition[] }).any : [cond]) : [];
  if (list.some((c) => 'all' in c || 'any' in c)) {
    return <JsonField label="If (nested groups: JSON)" path={path} value={cond} onChange={(v) => onChange(v as Condition)} />;
  }
  const rowPath = (i: number) => (group ? `${path}.${group}[${i}]` : path);
  const write = (next: Condition[], mode: 'all' | 'any' | null = group) => {
    if (next.length === 1 && mode === null) onChange(next[0] as Condition);
    else onChange(mode === 'any' ? { any: next } : { all: next });
  };
  return (
    <fieldset className="condition-editor" data-field={path}>
      <legend className="field-label">If</legend>
      {list.length > 1 || group ? (
        <SelectInput
          label="Match"
          path={`${path}.group`}
          value={group ?? 'all'}
          options={[
            { value: 'all', label: 'all of these' },
            { value: 'any', label: 'any of these' },
          ]}
          onChange={(m) => write(list, m as 'all' | 'any')}
        />
      ) : null}
      {list.map((c, i) => {
        const cmp = c as { left: unknown; op: CompareOp; right?: unknown };
        const set = (patch: Partial<typeof cmp>) => {
          const next = { ...cmp, ...patch };
          if (next.op === 'exists' || next.op === 'notExists') delete next.right;
          else if (next.right === undefined) next.right = '';
          write(list.map((x, j) => (j === i ? (next as Condition) : x)));
        };
        return (
          <div key={i} className="compare">
            <RefField label={`Value ${i + 1}`} path={`${rowPath(i)}.left`} value={asText(cmp.left)} onChange={(v) => set({ left: v })} />
            <SelectInput label={`Test ${i + 1}`} path={`${rowPath(i)}.op`} value={cmp.op} options={OPS} onChange={(v) => set({ op: v as CompareOp })} />
            {cmp.op !== 'exists' && cmp.op !== 'notExists' ? <RefField label={`Compared with ${i + 1}`} path={`${rowPath(i)}.right`} value={asText(cmp.right)} onChange={(v) => set({ right: v })} /> : <span />}
            {!readOnly && list.length > 1 ? (
              <Button size="sm" variant="ghost" onPress={() => write(list.filter((_, j) => j !== i))} aria-label={`Remove test ${i + 1}`}>
                Remove
              </Button>
            ) : null}
          </div>
        );
      })}
      {!readOnly ? (
        <Button size="sm" onPress={() => write([...list, { left: '', op: 'equals', right: '' }], group ?? 'all')}>
          + Add a test
        </Button>
      ) : null}
    </fieldset>
  );
}

function BuiltInForm({ step, path, set }: { step: WorkflowStep; path: string; set: (field: keyof WorkflowStep | string, v: unknown) => void }) {
  const input = (step.input && typeof step.input === 'object' ? step.input : {}) as Record<string, unknown>;
  const setInput = (k: string, v: unknown) => {
    const next = { ...input };
    if (v === undefined || v === '') delete next[k];
    else next[k] = v;
    set('input', next);
  };
  const ip = `${path}.input`;
  switch (step.type) {
    case 'delay':
      return <NumberField label="Seconds" path={`${ip}.seconds`} value={input.seconds} min={1} max={3600} onChange={(v) => setInput('seconds', v)} description="Up to an hour; longer than 5 s puts the run back on the queue meanwhile." />;
    case 'transform':
      return <JsonField label="Value to produce (JSON with {{…}} references)" path={ip} value={step.input} onChange={(v) => set('input', v)} />;
    case 'http_request':
      return (
        <div className="form-grid">
          <SelectInput label="Method" path={`${ip}.method`} value={String(input.method ?? 'GET')} options={['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'].map((m) => ({ value: m, label: m }))} onChange={(v) => setInput('method', v)} />
          <RefField label="URL" path={`${ip}.url`} value={asText(input.url)} onChange={(v) => setInput('url', v)} wide description="http(s) only; public addresses only. Workspace secrets: {{secrets.NAME}}." />
          <PairsField label="Headers" path={`${ip}.headers`} keyLabel="Header" value={input.headers as Record<string, unknown> | undefined} onChange={(v) => setInput('headers', v)} />
          <JsonField label="Body (JSON, optional)" path={`${ip}.body`} value={input.body} onChange={(v) => setInput('body', v)} />
          <NumberField label="Timeout in seconds (optional)" path={`${ip}.timeoutSeconds`} value={input.timeoutSeconds} min={1} max={30} onChange={(v) => setInput('timeoutSeconds', v)} />
        </div>
      );
    case 'llm_prompt':
      return (
        <div className="form-grid">
          <RefField label="Prompt" path={`${ip}.prompt`} value={asText(input.prompt)} multiline onChange={(v) => setInput('prompt', v)} description="Charged to the workspace's LLM budget." />
          <RefField label="System prompt (optional)" path={`${ip}.system`} value={asText(input.system)} multiline onChange={(v) => setInput('system', v)} />
          <NumberField label="Max tokens (optional)" path={`${ip}.maxTokens`} value={input.maxTokens} min={1} max={4096} onChange={(v) => setInput('maxTokens', v)} />
        </div>
      );
    case 'log':
      return (
        <div className="form-grid">
          <RefField label="Message" path={`${ip}.message`} value={asText(input.message)} onChange={(v) => setInput('message', v)} wide />
          <SelectInput label="Level" path={`${ip}.level`} value={String(input.level ?? 'info')} options={['info', 'warn', 'error'].map((l) => ({ value: l, label: l }))} onChange={(v) => setInput('level', v)} />
        </div>
      );
    default:
      return null;
  }
}

function AddStep({ listPath, props, label }: { listPath: string; props: StepsProps; label: string }) {
  const id = useId();
  const [type, setType] = useState('');
  const { readOnly } = useEditor();
  if (readOnly) return null;
  return (
    <div className="add-step">
      <label htmlFor={id} className="visually-hidden">
        Type of the step to add {label}
      </label>
      <select id={id} className="input input-compact" value={type} onChange={(e) => setType(e.target.value)}>
        <option value="">Choose a step type…</option>
        <optgroup label="Airtable tools">
          {props.tools.map((t) => (
            <option key={t.name} value={t.name}>
              {t.title} ({t.name})
            </option>
          ))}
        </optgroup>
        <optgroup label="Built-in steps">
          {BUILT_IN.map((b) => (
            <option key={b} value={b}>
              {BUILT_IN_LABELS[b]}
            </option>
          ))}
        </optgroup>
      </select>
      <Button
        size="sm"
        isDisabled={!type}
        onPress={() => {
          props.setDef((d) => addStep(d, listPath, newStep(type, freshId(type, d))));
          setType('');
        }}
      >
        + Add step {label}
      </Button>
    </div>
  );
}

export function StepList({ listPath, steps, props, label }: { listPath: string; steps: WorkflowStep[]; props: StepsProps; label: string }) {
  return (
    <div className="step-list" data-list={listPath}>
      {steps.length === 0 ? <p className="small muted">No steps {label} yet.</p> : null}
      <ol className="steps-ol">
        {steps.map((s, i) => (
          <StepCard key={`${listPath}[${i}]`} step={s} index={i} count={steps.length} listPath={listPath} props={props} />
        ))}
      </ol>
      <AddStep listPath={listPath} props={props} label={label} />
    </div>
  );
}

function StepCard({ step, index, count, listPath, props }: { step: WorkflowStep; index: number; count: number; listPath: string; props: StepsProps }) {
  const path = `${listPath}[${index}]`;
  const { problem, readOnly } = useEditor();
  const tool = props.tools.find((t) => t.name === step.type);
  const builtIn = (BUILT_IN as readonly string[]).includes(step.type);
  const set = (field: string, v: unknown) => props.setDef((d) => updateAt(d, `${path}.${field}`, () => v));
  // The API's errors for this step that no field of the card shows (e.g. `steps[0].input`).
  const shown = new Set<string>();
  document.querySelectorAll<HTMLElement>('[data-path]').forEach((el) => shown.add(el.dataset.path ?? ''));
  const own = (problem?.errors ?? []).filter((e) => (e.field === path || e.field.startsWith(`${path}.`)) && !/\.(then|else|steps)\[/.test(e.field.slice(path.length)) && !shown.has(e.field));
  const title = tool?.title ?? BUILT_IN_LABELS[step.type] ?? step.type;
  return (
    <li className="step-card card card-tight" data-step={path} data-type={step.type} aria-label={`Step ${step.id}: ${title}`}>
      <div className="step-card-head">
        <span className="step-index" aria-hidden="true">
          {index + 1}
        </span>
        <span className="step-title">
          <strong>{title}</strong> <code className="small muted">{step.type}</code>
        </span>
        {!readOnly ? (
          <span className="step-actions">
            <Button size="sm" variant="ghost" icon isDisabled={index === 0} onPress={() => props.setDef((d) => moveStep(d, listPath, index, -1))} aria-label={`Move ${step.id} up`}>
              <Icon name="up" />
            </Button>
            <Button size="sm" variant="ghost" icon isDisabled={index === count - 1} onPress={() => props.setDef((d) => moveStep(d, listPath, index, 1))} aria-label={`Move ${step.id} down`}>
              <Icon name="down" />
            </Button>
            <Button size="sm" variant="ghost" icon onPress={() => props.setDef((d) => removeStep(d, listPath, index))} aria-label={`Remove ${step.id}`}>
              <Icon name="trash" />
            </Button>
          </span>
        ) : null}
      </div>
      <div className="form-grid">
        <RefField label="Step id" path={`${path}.id`} value={step.id} onChange={(v) => set('id', v)} refs={[]} description={`Later steps use {{steps.${step.id || 'id'}.output}}.`} />
      </div>
      {tool ? <SchemaForm schema={tool.inputSchema as JsonSchema} value={(step.input as Record<string, unknown> | undefined) ?? {}} path={`${path}.input`} onChange={(v) => set('input', v)} listFor={props.listFor} /> : null}
      {!tool && !builtIn ? <JsonField label={`Input of ${step.type} (JSON)`} path={`${path}.input`} value={step.input} onChange={(v) => set('input', v)} description="This step type is not in the tools you can use; its input is edited as JSON." /> : null}
      {builtIn && step.type !== 'condition' && step.type !== 'for_each' ? <BuiltInForm step={step} path={path} set={set} /> : null}
      {step.type === 'condition' ? (
        <>
          <ConditionEditor path={`${path}.if`} cond={step.if} onChange={(c) => set('if', c)} />
          <div className="branch" data-branch="then">
            <h4 className="branch-title">Then</h4>
            <StepList listPath={`${path}.then`} steps={step.then ?? []} props={props} label={`to Then of ${step.id}`} />
          </div>
          <div className="branch" data-branch="else">
            <h4 className="branch-title">Else</h4>
            <StepList listPath={`${path}.else`} steps={step.else ?? []} props={props} label={`to Else of ${step.id}`} />
          </div>
        </>
      ) : null}
      {step.type === 'for_each' ? (
        <>
          <div className="form-grid">
            <RefField label="Items" path={`${path}.items`} value={asText(step.items)} onChange={(v) => set('items', v)} description="A list, or a reference giving one (at most 100 items)." />
            <NumberField label="At most (optional)" path={`${path}.maxItems`} value={step.maxItems} min={1} max={100} onChange={(v) => set('maxItems', typeof v === 'number' ? v : undefined)} />
          </div>
          <div className="branch" data-branch="each">
            <h4 className="branch-title">For each item</h4>
            <StepList listPath={`${path}.steps`} steps={step.steps ?? []} props={props} label={`inside ${step.id}`} />
          </div>
        </>
      ) : null}
      <details className="step-more">
        <summary>Error handling</summary>
        <div className="form-grid">
          <CheckField label="Go on when this step fails" path={`${path}.continueOnError`} checked={Boolean(step.continueOnError)} onChange={(v) => set('continueOnError', v || undefined)} />
          <NumberField
            label="Attempts on transient failures (optional)"
            path={`${path}.retry`}
            value={step.retry?.attempts}
            min={1}
            max={5}
            onChange={(v) => set('retry', typeof v === 'number' ? { ...(step.retry ?? {}), attempts: v } : undefined)}
          />
        </div>
      </details>
      {own.length > 0 ? (
        <ul className="field-error step-errors" role="alert">
          {own.map((e) => (
            <li key={e.field + e.message}>
              <code>{e.field.slice(path.length + 1) || step.id}</code>: {e.message}
            </li>
          ))}
        </ul>
      ) : null}
    </li>
  );
}
