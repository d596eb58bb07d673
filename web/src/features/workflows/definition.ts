// A workflow definition as the editor changes it: steps addressed by the API's own paths
// (`steps[1].then[0]`, the paths a 422 names), immutable updates at a path, new steps of each
// type, and the `{{…}}` references a step may use (the trigger's, earlier steps', the loop's).
import type { Trigger, TriggerType, WorkflowDefinition, WorkflowStep } from '../../api/types';

export const BUILT_IN = ['condition', 'for_each', 'delay', 'transform', 'http_request', 'llm_prompt', 'log'] as const;

export const BUILT_IN_LABELS: Record<string, string> = {
  condition: 'Condition (if / then / else)',
  for_each: 'For each item',
  delay: 'Delay',
  transform: 'Transform (build a value)',
  http_request: 'HTTP request',
  llm_prompt: 'Ask the language model',
  log: 'Log a message',
};

export const TRIGGER_LABELS: Record<TriggerType, string> = {
  manual: 'Manual (Run now)',
  schedule: 'Schedule',
  file_processed: 'A file is processed',
  webhook: 'Webhook (signed POST)',
  record_matches: 'Records created or modified',
};

type Token = string | number;

/** `steps[1].then[0].input.url` → ['steps', 1, 'then', 0, 'input', 'url']. */
export function parsePath(path: string): Token[] {
  const out: Token[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      out.push(part);
      continue;
    }
    if (m[1]) out.push(m[1]);
    for (const idx of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

export function getAt(root: unknown, path: string): unknown {
  let v: unknown = root;
  for (const t of parsePath(path)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[t];
  }
  return v;
}

/** A copy of `root` with the value at `path` replaced by `fn(old)` (undefined deletes a key). */
export function updateAt<T>(root: T, path: string, fn: (old: unknown) => unknown): T {
  const tokens = parsePath(path);
  const go = (node: unknown, i: number): unknown => {
    if (i === tokens.length) return fn(node);
    const t = tokens[i] as Token;
    if (typeof t === 'number') {
      const list = Array.isArray(node) ? [...(node as unknown[])] : [];
      list[t] = go(list[t], i + 1);
      return list;
    }
    const obj = node && typeof node === 'object' && !Array.isArray(node) ? { ...(node as Record<string, unknown>) } : {};
    const next = go(obj[t], i + 1);
    if (next === undefined) delete obj[t];
    else obj[t] = next;
    return obj;
  };
  return go(root, 0) as T;
}

/** Every step id in the definition (nested ones too). */
export function allIds(steps: WorkflowStep[]): string[] {
  return steps.flatMap((s) => [s.id, ...allIds(s.then ?? []), ...allIds(s.else ?? []), ...allIds(s.steps ?? [])]);
}

/** A short id for a new step of `type`, unused in the definition. */
export function freshId(type: string, def: WorkflowDefinition): string {
  const taken = new Set(allIds(def.steps));
  const stem =
    type
      .replace(/[^A-Za-z0-9_]/g, '_')
      .replace(/^[^A-Za-z]+/, '')
      .slice(0, 30) || 'step';
  for (let n = 1; ; n++) {
    const id = `${stem}_${n}`;
    if (!taken.has(id)) return id;
  }
}

/** A new step of `type` with the fields its type needs. */
export function newStep(type: string, id: string): WorkflowStep {
  switch (type) {
    case 'condition':
      return { id, type, if: { all: [{ left: '', op: 'equals', right: '' }] }, then: [], else: [] };
    case 'for_each':
      return { id, type, items: '', steps: [] };
    case 'delay':
      return { id, type, input: { seconds: 5 } };
    case 'transform':
      return { id, type, input: {} };
    case 'http_request':
      return { id, type, input: { method: 'GET', url: 'https://' } };
    case 'llm_prompt':
      return { id, type, input: { prompt: '' } };
    case 'log':
      return { id, type, input: { message: '', level: 'info' } };
    default:
      return { id, type, input: {} };
  }
}

export function newTrigger(type: TriggerType): Trigger {
  switch (type) {
    case 'schedule':
      return { type, cron: '0 9 * * 1-5', timezone: 'UTC' };
    case 'record_matches':
      return { type, baseId: '', table: '', on: 'created', every: '5 minutes' };
    case 'file_processed':
      return { type };
    default:
      return { type } as Trigger;
  }
}

export function blankDefinition(): WorkflowDefinition {
  return { name: 'New workflow', trigger: { type: 'manual' }, steps: [] };
}

/** The references the trigger offers, by type. */
function triggerRefs(trigger: Trigger): { ref: string; hint: string }[] {
  switch (trigger.type) {
    case 'manual':
      return [{ ref: 'trigger', hint: 'the data sent with Run now (use trigger.<key>)' }];
    case 'webhook':
      return [{ ref: 'trigger', hint: 'the signed body (use trigger.<key>)' }];
    case 'schedule':
      return [];
    case 'file_processed':
      return [
        { ref: 'trigger.file.id', hint: 'the file' },
        { ref: 'trigger.file.name', hint: 'its name' },
        { ref: 'trigger.file.rows', hint: 'its row count' },
        { ref: 'trigger.file.columns', hint: 'its columns' },
      ];
    case 'record_matches':
      return [
        { ref: 'trigger.id', hint: 'the record id' },
        { ref: 'trigger.fields', hint: 'its fields (trigger.fields.<Name>)' },
        { ref: 'trigger.createdTime', hint: 'when it was created' },
      ];
  }
}

/** What `{{…}}` may name at `stepPath`: the trigger, every step that runs before it (not one
 *  inside a loop it is not in), the loop's item and index, the run, secrets in http_request. */
export function referencesAt(def: WorkflowDefinition, stepPath: string, secrets: string[] = []): { ref: string; hint: string }[] {
  const out = triggerRefs(def.trigger);
  const target = parsePath(stepPath);
  let loops: string[] = [];
  let found = false;
  // Walk in document order; a step is "before" when it comes earlier on the way to the target.
  const walk = (steps: WorkflowStep[], path: string, inLoops: string[]): void => {
    steps.forEach((s, i) => {
      if (found) return;
      const at = `${path}[${i}]`;
      if (at === stepPath) {
        found = true;
        loops = inLoops;
        return;
      }
      const isAncestor = stepPath.startsWith(`${at}.`);
      if (!isAncestor) out.push({ ref: `steps.${s.id}.output`, hint: `what ${s.id} (${s.type}) gave` });
      walk(s.then ?? [], `${at}.then`, inLoops);
      walk(s.else ?? [], `${at}.else`, inLoops);
      walk(s.steps ?? [], `${at}.steps`, s.type === 'for_each' ? [...inLoops, s.id] : inLoops);
    });
  };
  walk(def.steps, 'steps', []);
  void target;
  // Steps inside a loop the target is not in cannot be named: drop them.
  const inner = new Set<string>();
  const collect = (steps: WorkflowStep[], inLoop: string | null): void => {
    for (const s of steps) {
      if (inLoop && !loops.includes(inLoop)) inner.add(s.id);
      collect(s.then ?? [], inLoop);
      collect(s.else ?? [], inLoop);
      collect(s.steps ?? [], s.type === 'for_each' ? s.id : inLoop);
    }
  };
  collect(def.steps, null);
  const refs = out.filter((r) => !(r.ref.startsWith('steps.') && inner.has(r.ref.split('.')[1] ?? '')));
  if (loops.length > 0) refs.push({ ref: 'item', hint: 'the current item' }, { ref: 'index', hint: 'its position (0-based)' });
  refs.push({ ref: 'workflow.name', hint: 'this workflow' }, { ref: 'execution.id', hint: 'this run' }, { ref: 'now', hint: 'the time the step runs' });
  const step = getAt(def, stepPath) as WorkflowStep | undefined;
  if (step?.type === 'http_request') for (const name of secrets) refs.push({ ref: `secrets.${name}`, hint: 'workspace secret (never shown)' });
  return refs;
}

/** Moves the step at `index` of the list at `listPath` by `delta` (−1 up, +1 down). */
export function moveStep(def: WorkflowDefinition, listPath: string, index: number, delta: number): WorkflowDefinition {
  return updateAt(def, listPath, (old) => {
    const list = [...((old as WorkflowStep[] | undefined) ?? [])];
    const to = index + delta;
    if (to < 0 || to >= list.length) return list;
    const [s] = list.splice(index, 1);
    if (s) list.splice(to, 0, s);
    return list;
  });
}

export function removeStep(def: WorkflowDefinition, listPath: string, index: number): WorkflowDefinition {
  return updateAt(def, listPath, (old) => ((old as WorkflowStep[] | undefined) ?? []).filter((_, i) => i !== index));
}

export function addStep(def: WorkflowDefinition, listPath: string, step: WorkflowStep): WorkflowDefinition {
  return updateAt(def, listPath, (old) => [...((old as WorkflowStep[] | undefined) ?? []), step]);
}

/** The definition as the JSON view shows it (and parses it back). */
export function toJson(def: WorkflowDefinition): string {
  return JSON.stringify(def, null, 2);
}

export function fromJson(text: string): WorkflowDefinition {
  const v: unknown = JSON.parse(text);
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('the definition is a JSON object: {"name", "trigger", "steps"}');
  const d = v as Partial<WorkflowDefinition>;
  if (typeof d.name !== 'string') throw new Error('"name" must be a string');
  if (!d.trigger || typeof d.trigger !== 'object' || typeof (d.trigger as { type?: unknown }).type !== 'string') throw new Error('"trigger" must be an object with a "type"');
  if (!Array.isArray(d.steps)) throw new Error('"steps" must be a list');
  return v as WorkflowDefinition;
}
