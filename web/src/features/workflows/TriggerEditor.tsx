// The trigger of a definition: its type and fields; a schedule shows its next 5 runs as the API
// computes them (POST /workflows/validate), a webhook says what it will get once saved.
import { useEffect, useMemo, useState } from 'react';
import type { Problem } from '../../api/problem';
import type { Trigger, TriggerType, WorkflowDefinition } from '../../api/types';
import { newTrigger, TRIGGER_LABELS } from './definition';
import { EditorContext, RefField, SelectInput, useEditor } from './fields';
import { NextRuns } from './NextRuns';

const FILE_TYPES = ['csv', 'tsv', 'json', 'xlsx', 'txt', 'pdf', 'docx'];

function zones(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return ['UTC'];
  }
}

export function TriggerEditor({ def, setTrigger, bases, tablesOf }: { def: WorkflowDefinition; setTrigger: (t: Trigger) => void; bases: { id: string; name: string }[]; tablesOf: (baseId: string) => string[] }) {
  const outer = useEditor();
  const [live, setLive] = useState<{ field: string; message: string }[]>([]);
  useEffect(() => {
    if (def.trigger.type !== 'schedule') setLive([]);
  }, [def.trigger.type]);
  // The API's save errors win; schedule errors found while typing fill in.
  const problem = useMemo<Problem | null>(() => {
    const errors = [...(outer.problem?.errors ?? []), ...live.filter((l) => !outer.problem?.errors?.some((e) => e.field === l.field))];
    return errors.length || outer.problem ? { ...(outer.problem ?? { title: 'Check the schedule', status: 422 }), errors } : null;
  }, [outer.problem, live]);
  const t = def.trigger;
  const set = (patch: Record<string, unknown>) => {
    const next = { ...t, ...patch } as Record<string, unknown>;
    for (const [k, v] of Object.entries(next)) if (v === '' || v === undefined) delete next[k];
    setTrigger(next as unknown as Trigger);
  };
  const noRefs: { ref: string; hint: string }[] = [];
  const zoneList = useMemo(zones, []);
  return (
    <EditorContext.Provider value={{ ...outer, problem }}>
      <div className="form-grid">
        <SelectInput
          label="When it runs"
          path="trigger.type"
          value={t.type}
          options={(Object.keys(TRIGGER_LABELS) as TriggerType[]).map((k) => ({ value: k, label: TRIGGER_LABELS[k] }))}
          onChange={(v) => setTrigger(newTrigger(v as TriggerType))}
        />
      </div>
      {t.type === 'manual' ? <p className="small muted">Runs when someone presses Run now (with data as JSON for {'{{trigger.…}}'}), or through the API.</p> : null}
      {t.type === 'webhook' ? (
        <p className="small muted">Runs on a signed POST to its own URL. The URL and the signing secret are shown once the workflow is saved — the secret only that once.</p>
      ) : null}
      {t.type === 'schedule' ? (
        <>
          <div className="form-grid">
            <SelectInput
              label="Repeat by"
              path="trigger.mode"
              value={t.rate !== undefined ? 'rate' : 'cron'}
              options={[
                { value: 'cron', label: 'Cron expression' },
                { value: 'rate', label: 'A fixed rate' },
              ]}
              onChange={(v) => setTrigger(v === 'rate' ? { type: 'schedule', rate: '15 minutes', ...(t.timezone ? { timezone: t.timezone } : {}) } : { type: 'schedule', cron: '0 9 * * 1-5', ...(t.timezone ? { timezone: t.timezone } : {}) })}
            />
            {t.rate !== undefined ? (
              <RefField label="Rate" path="trigger.rate" value={t.rate} onChange={(v) => set({ rate: v })} refs={noRefs} description="e.g. 15 minutes, 1 hour, 2 days" />
            ) : (
              <RefField label="Cron" path="trigger.cron" value={t.cron ?? ''} onChange={(v) => set({ cron: v })} refs={noRefs} description="minute hour day month weekday, e.g. 0 9 * * 1-5" />
            )}
            <RefField label="Time zone" path="trigger.timezone" value={t.timezone ?? ''} onChange={(v) => set({ timezone: v })} refs={noRefs} list="tz-list" placeholder="UTC" />
            <datalist id="tz-list">
              {zoneList.map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
          </div>
          <NextRuns trigger={t} onErrors={setLive} />
        </>
      ) : null}
      {t.type === 'file_processed' ? (
        <div className="form-grid">
          <SelectInput label="File type" path="trigger.fileType" value={t.fileType ?? ''} allowEmpty="Any type" options={FILE_TYPES.map((f) => ({ value: f, label: f.toUpperCase() }))} onChange={(v) => set({ fileType: v })} />
          <RefField label="Name pattern (optional)" path="trigger.namePattern" value={t.namePattern ?? ''} onChange={(v) => set({ namePattern: v })} refs={noRefs} description="* and ? wildcards, e.g. orders-*.csv" />
        </div>
      ) : null}
      {t.type === 'record_matches' ? (
        <div className="form-grid">
          <SelectInput label="Base" path="trigger.baseId" value={t.baseId} allowEmpty="Choose a base…" options={bases.map((b) => ({ value: b.id, label: b.name }))} onChange={(v) => set({ baseId: v })} />
          <RefField label="Table" path="trigger.table" value={t.table} onChange={(v) => set({ table: v })} refs={noRefs} list="trigger-tables" />
          <datalist id="trigger-tables">
            {tablesOf(t.baseId).map((n) => (
              <option key={n} value={n} />
            ))}
          </datalist>
          <SelectInput
            label="Records"
            path="trigger.on"
            value={t.on ?? 'created'}
            options={[
              { value: 'created', label: 'created' },
              { value: 'modified', label: 'modified' },
            ]}
            onChange={(v) => set({ on: v })}
          />
          {t.on === 'modified' ? <RefField label="Last Modified Time field" path="trigger.field" value={t.field ?? ''} onChange={(v) => set({ field: v })} refs={noRefs} /> : null}
          <RefField label="Only records matching (formula, optional)" path="trigger.filterByFormula" value={t.filterByFormula ?? ''} onChange={(v) => set({ filterByFormula: v })} refs={noRefs} />
          <RefField label="Look every" path="trigger.every" value={t.every ?? ''} onChange={(v) => set({ every: v })} refs={noRefs} placeholder="5 minutes" />
        </div>
      ) : null}
    </EditorContext.Provider>
  );
}
