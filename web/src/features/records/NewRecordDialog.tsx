import { useRef, useState, type FormEvent } from 'react';
import { asProblem, type Problem } from '../../api/problem';
import type { AirtableRecord, Field } from '../../api/types';
import { ProblemAlert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { ModalDialog } from '../../ui/Dialog';
import { idempotencyKey, useCreateRecord } from './api';
import { isEditable, parseEdit } from './cells';

interface Props {
  baseId: string;
  tableId: string;
  tableName: string;
  fields: Field[];
  isOpen: boolean;
  onOpenChange: (open: boolean) => void;
  onCreated: (record: AirtableRecord) => void;
}

/** "New record": the table's editable fields as a form; one key per dialog, so a double submit
 *  creates one record. */
export function NewRecordDialog({ baseId, tableId, tableName, fields, isOpen, onOpenChange, onCreated }: Props) {
  const create = useCreateRecord(baseId, tableId);
  const [key, setKey] = useState(idempotencyKey);
  const [problem, setProblem] = useState<Problem | null>(null);
  const editable = fields.filter(isEditable);
  // A double click submits twice before React re-renders the disabled button: one request only
  // (the Idempotency-Key would make the second a replay anyway).
  const inflight = useRef(false);

  const close = (open: boolean) => {
    if (!open) {
      setProblem(null);
      setKey(idempotencyKey());
      create.reset();
    }
    onOpenChange(open);
  };

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (inflight.current) return;
    const form = new FormData(e.currentTarget);
    const values: Record<string, unknown> = {};
    for (const f of editable) {
      if (f.type === 'checkbox') {
        if (form.get(f.id) === 'on') values[f.name] = true;
        continue;
      }
      const parsed = parseEdit(f, String(form.get(f.id) ?? ''));
      if (!parsed.ok) {
        setProblem({ title: 'Check the form', status: 422, detail: parsed.message });
        return;
      }
      if (parsed.value !== null) values[f.name] = parsed.value;
    }
    setProblem(null);
    inflight.current = true;
    create.mutate(
      { fields: values, key },
      {
        onSuccess: (res) => {
          const rec = res.records[0];
          close(false);
          if (rec) onCreated(rec);
        },
        onError: (err) => setProblem(asProblem(err)),
        onSettled: () => {
          inflight.current = false;
        },
      },
    );
  };

  return (
    <ModalDialog isOpen={isOpen} onOpenChange={close} title={`New record in ${tableName}`} wide>
      {(dismiss) => (
        <form className="stack" onSubmit={submit}>
          {problem ? <ProblemAlert problem={problem} /> : null}
          <div className="form-grid">
            {editable.map((f) => {
              const id = `new-${f.id}`;
              if (f.type === 'checkbox') {
                return (
                  <label key={f.id} className="checkbox form-grid-wide">
                    <input type="checkbox" name={f.id} />
                    {f.name}
                  </label>
                );
              }
              return (
                <div key={f.id} className={`field${f.type === 'multilineText' ? ' form-grid-wide' : ''}`}>
                  <label htmlFor={id}>{f.name}</label>
                  {f.type === 'singleSelect' ? (
                    <select id={id} name={f.id} defaultValue="">
                      <option value="">(empty)</option>
                      {(f.options?.choices ?? []).map((c) => (
                        <option key={c.id ?? c.name} value={c.name}>
                          {c.name}
                        </option>
                      ))}
                    </select>
                  ) : f.type === 'multilineText' ? (
                    <textarea id={id} name={f.id} rows={3} />
                  ) : (
                    <input
                      id={id}
                      name={f.id}
                      type={f.type === 'date' ? 'date' : f.type === 'email' ? 'email' : f.type === 'url' ? 'url' : f.type === 'phoneNumber' ? 'tel' : 'text'}
                      inputMode={['number', 'currency', 'percent', 'rating'].includes(f.type) ? 'decimal' : undefined}
                    />
                  )}
                </div>
              );
            })}
          </div>
          {editable.length < fields.length ? <p className="small muted">Computed, linked and attachment fields are filled in Airtable.</p> : null}
          <div className="dialog-actions">
            <Button onPress={dismiss} isDisabled={create.isPending}>
              Cancel
            </Button>
            <Button type="submit" variant="primary" isDisabled={create.isPending}>
              {create.isPending ? 'Creating…' : 'Create record'}
            </Button>
          </div>
        </form>
      )}
    </ModalDialog>
  );
}
