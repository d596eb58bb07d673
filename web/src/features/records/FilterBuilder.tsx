import { useState } from 'react';
import { Dialog, DialogTrigger, Heading, Popover } from 'react-aria-components';
import type { Field } from '../../api/types';
import { Button } from '../../ui/Button';
import { buildFormula, conditionProblem, needsValue, OPERATOR_LABELS, operatorsFor, type Condition, type FilterSpec, type Operator } from './filter';

let nextId = 1;
const newId = () => `cond${nextId++}`;

interface Props {
  fields: Field[];
  value: FilterSpec;
  onApply: (spec: FilterSpec) => void;
}

/** Conditions on fields, joined by "all" or "any", turned into filterByFormula. */
export function FilterBuilder({ fields, value, onApply }: Props) {
  const [open, setOpen] = useState(false);
  const [draft, setDraft] = useState<FilterSpec>(value);
  const types = Object.fromEntries(fields.map((f) => [f.name, f.type]));
  const formula = buildFormula(draft, types);
  const active = value.conditions.filter((c) => buildFormula({ conjunction: 'and', conditions: [c] }, types) !== '').length;

  const update = (id: string, patch: Partial<Condition>) => setDraft((d) => ({ ...d, conditions: d.conditions.map((c) => (c.id === id ? { ...c, ...patch } : c)) }));
  const add = () => {
    const f = fields[0];
    if (!f) return;
    setDraft((d) => ({ ...d, conditions: [...d.conditions, { id: newId(), field: f.name, op: operatorsFor(f.type)[0] ?? 'contains', value: '' }] }));
  };

  return (
    <DialogTrigger
      isOpen={open}
      onOpenChange={(o) => {
        if (o) setDraft(value.conditions.length ? value : { conjunction: value.conjunction, conditions: [] });
        setOpen(o);
      }}
    >
      <Button aria-label={active ? `Filter, ${active} active` : 'Filter'}>
        <span aria-hidden="true">⚲</span> Filter{active ? ` (${active})` : ''}
      </Button>
      <Popover className="popover filter-popover" placement="bottom start">
        <Dialog className="dialog filter-dialog" aria-label="Filter records">
          <Heading slot="title" level={2} className="popover-title">
            Filter records
          </Heading>
          {draft.conditions.length === 0 ? <p className="muted small">No conditions: every record is shown.</p> : null}
          {draft.conditions.length > 1 ? (
            <div className="field">
              <label htmlFor="conj">Show records that match</label>
              <select id="conj" className="input" value={draft.conjunction} onChange={(e) => setDraft((d) => ({ ...d, conjunction: e.target.value === 'or' ? 'or' : 'and' }))}>
                <option value="and">all of the conditions</option>
                <option value="or">any of the conditions</option>
              </select>
            </div>
          ) : null}
          <ol className="conditions">
            {draft.conditions.map((c, i) => {
              const field = fields.find((f) => f.name === c.field);
              const type = field?.type ?? 'singleLineText';
              const ops = operatorsFor(type);
              const problem = conditionProblem(c, type);
              const choices = field?.options?.choices;
              return (
                <li key={c.id} className="condition">
                  <select
                    className="input"
                    aria-label={`Condition ${i + 1} field`}
                    value={c.field}
                    onChange={(e) => {
                      const f = fields.find((x) => x.name === e.target.value);
                      const nextOps = operatorsFor(f?.type ?? 'singleLineText');
                      update(c.id, { field: e.target.value, op: nextOps.includes(c.op) ? c.op : (nextOps[0] ?? 'contains'), value: '' });
                    }}
                  >
                    {fields.map((f) => (
                      <option key={f.id} value={f.name}>
                        {f.name}
                      </option>
                    ))}
                  </select>
                  <select className="input" aria-label={`Condition ${i + 1} operator`} value={c.op} onChange={(e) => update(c.id, { op: e.target.value as Operator })}>
                    {ops.map((op) => (
                      <option key={op} value={op}>
                        {OPERATOR_LABELS[op]}
                      </option>
                    ))}
                  </select>
                  {needsValue(c.op) ? (
                    choices && (c.op === 'is' || c.op === 'isNot') ? (
                      <select className="input" aria-label={`Condition ${i + 1} value`} value={c.value} onChange={(e) => update(c.id, { value: e.target.value })}>
                        <option value="">Choose…</option>
                        {choices.map((ch) => (
                          <option key={ch.id ?? ch.name} value={ch.name}>
                            {ch.name}
                          </option>
                        ))}
                      </select>
                    ) : (
                      <input
                        className="input"
                        aria-label={`Condition ${i + 1} value`}
                        type={['isBefore', 'isAfter', 'isOn'].includes(c.op) ? 'date' : 'text'}
                        inputMode={['eq', 'neq', 'lt', 'lte', 'gt', 'gte'].includes(c.op) ? 'decimal' : undefined}
                        value={c.value}
                        onChange={(e) => update(c.id, { value: e.target.value })}
                      />
                    )
                  ) : (
                    <span />
                  )}
                  <Button size="sm" variant="ghost" icon aria-label={`Remove condition ${i + 1}`} onPress={() => setDraft((d) => ({ ...d, conditions: d.conditions.filter((x) => x.id !== c.id) }))}>
                    ✕
                  </Button>
                  {problem ? <span className="field-error condition-problem">{problem}</span> : null}
                </li>
              );
            })}
          </ol>
          <div className="row">
            <Button size="sm" onPress={add}>
              + Add condition
            </Button>
          </div>
          {formula ? (
            <div className="field">
              <span className="field-label">Formula sent to Airtable</span>
              <code className="formula-preview">{formula}</code>
            </div>
          ) : null}
          <div className="dialog-actions">
            <Button
              onPress={() => {
                setDraft({ conjunction: 'and', conditions: [] });
              }}
              isDisabled={draft.conditions.length === 0}
            >
              Clear
            </Button>
            <Button
              variant="primary"
              onPress={() => {
                onApply(draft);
                setOpen(false);
              }}
            >
              Apply
            </Button>
          </div>
        </Dialog>
      </Popover>
    </DialogTrigger>
  );
}
