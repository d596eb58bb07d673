// `/workflows/new` and `/workflows/:workflowId/edit`: a definition as a form (trigger, then steps
// that nest under condition branches and for_each) or as JSON (the same object, both ways).
// Saving sends the version the editor was opened at: a 409 says someone else saved meanwhile and
// offers their version; a 422's errors are shown on the fields they name.
import { useEffect, useMemo, useRef, useState } from 'react';
import { useQueries } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { asProblem, type Problem } from '../../api/problem';
import { atLeast, type WorkflowDefinition } from '../../api/types';
import { useMe } from '../../app/auth';
import { Alert, ProblemAlert } from '../../ui/Alert';
import { Breadcrumbs } from '../../ui/Breadcrumbs';
import { Button } from '../../ui/Button';
import { Loading } from '../../ui/feedback';
import { useTitle } from '../../ui/useTitle';
import { schemaQuery, useBases } from '../records/api';
import { definitionOf, useSaveWorkflow, useSecrets, useTools, useWorkflow, validateWorkflow } from './api';
import { blankDefinition, fromJson, referencesAt, toJson, updateAt } from './definition';
import { EditorContext, RefField } from './fields';
import { StepList, type StepsProps } from './StepEditor';
import { TriggerEditor } from './TriggerEditor';

/** Focuses the input of an API path, or the nearest enclosing step. */
function focusPath(path: string) {
  let p = path;
  for (;;) {
    const el = document.querySelector<HTMLElement>(`[data-path="${CSS.escape(p)}"]`) ?? document.querySelector<HTMLElement>(`[data-step="${CSS.escape(p)}"]`);
    if (el) {
      el.scrollIntoView({ block: 'center' });
      if (el.matches('input,select,textarea')) el.focus();
      else el.querySelector<HTMLElement>('input,select,textarea,button')?.focus();
      return;
    }
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    if (cut <= 0) return;
    p = p.slice(0, cut);
  }
}

export function Component() {
  const { workflowId } = useParams();
  const me = useMe();
  const navigate = useNavigate();
  const existing = useWorkflow(workflowId);
  const tools = useTools();
  const secrets = useSecrets();
  const bases = useBases();
  const save = useSaveWorkflow(workflowId);
  const [def, setDefState] = useState<WorkflowDefinition | null>(workflowId ? null : blankDefinition());
  const [version, setVersion] = useState<number | undefined>(undefined);
  const [view, setView] = useState<'form' | 'json'>('form');
  const [jsonText, setJsonText] = useState('');
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [checked, setChecked] = useState<string | null>(null);
  const [dirty, setDirty] = useState(false);
  const summaryRef = useRef<HTMLDivElement>(null);
  useTitle(workflowId ? `Edit ${def?.name ?? 'workflow'}` : 'New workflow');

  // The workflow as loaded (once; a reload after a conflict loads it again).
  useEffect(() => {
    if (existing.data && def === null) {
      setDefState(definitionOf(existing.data));
      setVersion(existing.data.version);
    }
  }, [existing.data, def]);

  const setDef = (fn: (d: WorkflowDefinition) => WorkflowDefinition) => {
    setDefState((d) => (d ? fn(d) : d));
    setDirty(true);
    setChecked(null);
  };

  // Tables of the bases, for the base_id/table suggestions of tool steps and the trigger.
  const schemas = useQueries({
    queries: (bases.data ?? []).slice(0, 10).map((b) => schemaQuery(b.id)),
  });
  const tablesOf = (baseId: string) => {
    const i = (bases.data ?? []).findIndex((b) => b.id === baseId);
    return i >= 0 ? (schemas[i]?.data ?? []).map((t) => t.name) : [];
  };
  const fieldsOf = (baseId: string, table: string) => {
    const i = (bases.data ?? []).findIndex((b) => b.id === baseId);
    const t = i >= 0 ? (schemas[i]?.data ?? []).find((x) => x.name === table || x.id === table) : undefined;
    return t?.fields.map((f) => f.name) ?? [];
  };

  const secretNames = useMemo(() => (secrets.data ?? []).map((s) => s.name), [secrets.data]);
  const ctx = useMemo(
    () => ({ problem, readOnly: !atLeast(me.role, 'member'), refsFor: (stepPath: string) => (def ? referencesAt(def, stepPath, secretNames) : []) }),
    [problem, me.role, def, secretNames],
  );

  if (!atLeast(me.role, 'member')) {
    return (
      <div className="page page-narrow">
        <Alert tone="warning" role="alert" title="Viewers cannot edit workflows">
          <p>You can see workflows and their runs; ask an admin for the member role to change them.</p>
        </Alert>
      </div>
    );
  }
  if (workflowId && existing.isError) {
    return (
      <div className="page">
        <ProblemAlert problem={asProblem(existing.error)} />
      </div>
    );
  }
  if (!def || tools.isPending) return <Loading label="Loading the editor…" />;

  const stepsProps: StepsProps = {
    def,
    setDef,
    tools: tools.data ?? [],
    listFor: (property, input) => {
      if (property === 'base_id' || property === 'source_base_id' || property === 'target_base_id') return 'base-ids';
      if (property === 'table' && typeof input.base_id === 'string' && tablesOf(input.base_id).length) return `tables-${input.base_id}`;
      if (property === 'fields:keys' && typeof input.base_id === 'string' && typeof input.table === 'string' && fieldsOf(input.base_id, input.table).length) return `fields-${input.base_id}-${input.table}`;
      return undefined;
    },
  };

  const onSaved = (problemOrNull: Problem | null) => {
    setProblem(problemOrNull);
    if (problemOrNull) window.setTimeout(() => summaryRef.current?.focus(), 0);
  };

  const doSave = () => {
    setChecked(null);
    save.mutate(
      { definition: def, ...(version !== undefined ? { version } : {}) },
      {
        onSuccess: (saved) => {
          setDirty(false);
          onSaved(null);
          const secret = saved.webhook?.secret;
          navigate(`/workflows/${saved.id}`, { state: secret ? { webhookSecret: secret } : { saved: true } });
        },
        onError: (err) => onSaved(asProblem(err)),
      },
    );
  };

  const check = () => {
    setChecked(null);
    validateWorkflow(def)
      .then((v) => {
        onSaved(null);
        setChecked(`The definition is valid: ${v.steps} ${v.steps === 1 ? 'step' : 'steps'}, ${v.trigger.replace('_', ' ')} trigger.`);
      })
      .catch((err: unknown) => onSaved(asProblem(err)));
  };

  const conflict = problem?.status === 409 && problem.code === 'version_conflict';

  return (
    <EditorContext.Provider value={ctx}>
      <div className="page editor-page">
        <Breadcrumbs trail={[{ to: '/workflows', label: 'Workflows' }, ...(workflowId ? [{ to: `/workflows/${workflowId}`, label: existing.data?.name ?? '…' }] : [])]} current={workflowId ? 'Edit' : 'New'} />
        <div className="page-header">
          <div>
            <h1>{workflowId ? `Edit ${existing.data?.name ?? ''}` : 'New workflow'}</h1>
            <p className="muted">{version !== undefined ? `Version ${version}. ` : ''}A trigger, then steps run in order; a failing step stops the run unless it says otherwise.</p>
          </div>
          <div className="segmented" role="group" aria-label="Editor view">
            <button
              type="button"
              className="btn btn-sm"
              aria-pressed={view === 'form'}
              onClick={() => {
                if (view === 'json') {
                  try {
                    const parsed = fromJson(jsonText);
                    setDef(() => parsed);
                    setJsonError(null);
                    setView('form');
                  } catch (err) {
                    setJsonError(err instanceof Error ? err.message : String(err));
                  }
                }
              }}
            >
              Form
            </button>
            <button
              type="button"
              className="btn btn-sm"
              aria-pressed={view === 'json'}
              onClick={() => {
                setJsonText(toJson(def));
                setJsonError(null);
                setView('json');
              }}
            >
              JSON
            </button>
          </div>
        </div>

        <div ref={summaryRef} tabIndex={-1} className="stack editor-summary">
          {conflict ? (
            <Alert
              tone="warning"
              role="alert"
              title="Someone else saved this workflow meanwhile"
              action={
                <Button
                  size="sm"
                  onPress={async () => {
                    const fresh = await existing.refetch();
                    if (fresh.data) {
                      setDefState(definitionOf(fresh.data));
                      setVersion(fresh.data.version);
                      setDirty(false);
                      setProblem(null);
                    }
                  }}
                >
                  Load their version
                </Button>
              }
            >
              <p>{problem.detail}. Saving now would overwrite their change, so it was refused. Load their version (your edits here are dropped — copy them from the JSON view first if you need them), then make your change again.</p>
            </Alert>
          ) : null}
          {problem && !conflict ? (
            <Alert tone="danger" role="alert" title={problem.errors?.length ? `${problem.errors.length} ${problem.errors.length === 1 ? 'problem' : 'problems'} to fix before saving` : problem.title}>
              {problem.errors?.length ? (
                <ul className="error-summary">
                  {problem.errors.map((e) => (
                    <li key={e.field + e.message}>
                      <button type="button" className="link-button" onClick={() => (view === 'form' ? focusPath(e.field) : undefined)}>
                        {e.field || 'definition'}
                      </button>
                      : {e.message}
                    </li>
                  ))}
                </ul>
              ) : (
                <p>{problem.detail}</p>
              )}
            </Alert>
          ) : null}
          {checked ? (
            <Alert tone="success" role="status">
              <p>{checked}</p>
            </Alert>
          ) : null}
        </div>

        <datalist id="base-ids">
          {(bases.data ?? []).map((b) => (
            <option key={b.id} value={b.id}>
              {b.name}
            </option>
          ))}
        </datalist>
        {(bases.data ?? []).map((b) => (
          <datalist key={b.id} id={`tables-${b.id}`}>
            {tablesOf(b.id).map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        ))}
        {(bases.data ?? []).flatMap((b) =>
          tablesOf(b.id).map((t) => (
            <datalist key={`${b.id}-${t}`} id={`fields-${b.id}-${t}`}>
              {fieldsOf(b.id, t).map((f) => (
                <option key={f} value={f} />
              ))}
            </datalist>
          )),
        )}

        {view === 'json' ? (
          <section className="card stack" aria-labelledby="json-title">
            <h2 id="json-title">Definition as JSON</h2>
            <p className="small muted">The same definition the form edits: change it here and switch back to the form (or save) — nothing is lost either way.</p>
            <label htmlFor="definition-json" className="visually-hidden">
              Definition as JSON
            </label>
            <textarea
              id="definition-json"
              className="input mono json-editor"
              spellCheck={false}
              rows={24}
              value={jsonText}
              aria-invalid={jsonError ? true : undefined}
              aria-describedby={jsonError ? 'definition-json-err' : undefined}
              onChange={(e) => {
                setJsonText(e.target.value);
                setDirty(true);
              }}
            />
            {jsonError ? (
              <div id="definition-json-err" className="field-error" role="alert">
                {jsonError}
              </div>
            ) : null}
          </section>
        ) : (
          <div className="stack-lg">
            <section className="card stack" aria-labelledby="about-title">
              <h2 id="about-title">About</h2>
              <div className="form-grid">
                <RefField label="Name" path="name" value={def.name} onChange={(v) => setDef((d) => ({ ...d, name: v }))} refs={[]} />
                <RefField label="Description (optional)" path="description" value={def.description ?? ''} onChange={(v) => setDef((d) => updateAt(d, 'description', () => v || undefined))} refs={[]} />
              </div>
            </section>
            <section className="card stack" aria-labelledby="trigger-title">
              <h2 id="trigger-title">Trigger</h2>
              <TriggerEditor def={def} setTrigger={(t) => setDef((d) => ({ ...d, trigger: t }))} bases={bases.data ?? []} tablesOf={tablesOf} />
            </section>
            <section className="stack" aria-labelledby="steps-title">
              <h2 id="steps-title">Steps</h2>
              {tools.isError ? <ProblemAlert problem={asProblem(tools.error)} title="The tools could not be loaded" /> : null}
              <StepList listPath="steps" steps={def.steps} props={stepsProps} label="at the end" />
            </section>
          </div>
        )}

        <div className="editor-actions">
          <Button
            variant="primary"
            isDisabled={save.isPending}
            onPress={() => {
              if (view === 'json') {
                try {
                  const parsed = fromJson(jsonText);
                  setDefState(parsed);
                  setJsonError(null);
                  save.mutate(
                    { definition: parsed, ...(version !== undefined ? { version } : {}) },
                    {
                      onSuccess: (saved) => {
                        setDirty(false);
                        navigate(`/workflows/${saved.id}`, { state: saved.webhook?.secret ? { webhookSecret: saved.webhook.secret } : { saved: true } });
                      },
                      onError: (err) => onSaved(asProblem(err)),
                    },
                  );
                } catch (err) {
                  setJsonError(err instanceof Error ? err.message : String(err));
                }
              } else doSave();
            }}
          >
            {save.isPending ? 'Saving…' : workflowId ? 'Save changes' : 'Create workflow'}
          </Button>
          <Button onPress={check} isDisabled={view === 'json'}>
            Check
          </Button>
          <Link className="btn btn-ghost" to={workflowId ? `/workflows/${workflowId}` : '/workflows'}>
            Cancel
          </Link>
          {dirty ? <span className="small muted">Unsaved changes</span> : null}
        </div>
      </div>
    </EditorContext.Provider>
  );
}
