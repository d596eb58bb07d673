// The app's names for the API's types. Where docs/openapi.json has a schema, the type IS the
// generated one (aliased here once, so features read `Me`, not `components['schemas'][…]`);
// unwrap() infers them from the call. The rest of this file declares what the document still
// types as a bare object — files, sagas, workflows and their runs, secrets, the SSE events of
// /chat/stream, chat content blocks and Airtable's field options — from the README and the real
// responses. When the document gains a schema for one of them, alias the generated type instead
// and use unwrap() rather than unwrapAs() at its calls.
import type { components } from './schema';

export type Schemas = components['schemas'];

// ---------------------------------------------------------------- generated (aliases)

export type Role = Schemas['Role'];
export const ROLES: readonly Role[] = ['viewer', 'member', 'admin', 'owner'];
const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };
export function atLeast(role: Role | undefined, min: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[min];
}

export type Tokens = Schemas['Tokens'];
export type SessionResponse = Schemas['SessionResponse'];
export type Tenant = Schemas['TenantView'];
export type TenantInfo = Schemas['TenantResponse'];
export type Member = Schemas['MemberView'];
export type Invitation = Schemas['InvitationView'];
export type InvitationPreview = Schemas['InvitationPreview'];
export type ApiKey = Schemas['ApiKeyView'];
export type CreatedApiKey = Schemas['CreatedKey'];
export type Connection = Schemas['ConnectionView'];
export type Base = Schemas['Base'];
export type AirtableRecord = Schemas['AirtableRecord'];
export type Budgets = Schemas['BudgetsView'];
export type ChatSessionSummary = Schemas['SessionView'];
export type ToolCallRecord = Schemas['ToolCallRecord'];
export type TurnUsage = Schemas['TurnUsage'];
export type Tool = Schemas['ToolView'];
export type UsageReport = Schemas['UsageReport'];
export type UsageFigures = Schemas['Figures'];
export type CostReport = Schemas['CostReport'];
export type Dashboard = Schemas['Dashboard'];

/** GET /auth/me for a signed-in user: the document makes `user` and `tenants` optional (API keys
 *  and workflows have neither); the app only ever signs users in. */
export type Me = Schemas['MeResponse'] & { user: Schemas['UserView']; tenants: Schemas['Membership'][] };

// ---------------------------------------------------------------- described loosely by the document

export interface Choice {
  id?: string;
  name: string;
  color?: string;
}

/** Airtable's type options, passed through as Airtable sends them (the document: an object). */
export interface FieldOptions {
  choices?: Choice[];
  precision?: number;
  symbol?: string;
  dateFormat?: { name: string; format?: string };
  linkedTableId?: string;
  [key: string]: unknown;
}

export type Field = Omit<Schemas['Field'], 'options'> & { options?: FieldOptions | null };
export type TableSchema = Omit<Schemas['Table'], 'fields'> & { fields: Field[] };

/** A saved message's content blocks (the document: objects with a `type`). */
export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'toolUse'; id: string; name: string; input: unknown; malformed?: string }
  | { type: 'toolResult'; id: string; content: unknown; isError: boolean };

export type ChatMessage = Omit<Schemas['MessageView'], 'content' | 'role'> & { role: 'user' | 'assistant' | 'tool'; content: ContentBlock[] };
export type ChatSessionDetail = Omit<Schemas['SessionDetail'], 'messages'> & { messages: ChatMessage[] };

export interface Standing {
  limitUsd: number | null;
  spentUsd: number;
  remainingUsd: number | null;
}

/** A turn's `budget` (the document: an object), also the analytics reports' `budget`. */
export interface BudgetStatus {
  month: string;
  tenant: Standing;
  user: Standing;
  alertThreshold: number;
  alerts?: string[];
}

// ---------------------------------------------------------------- SSE events of /chat/stream

/** `tool_call_finished`: the call, and the result as the model got it (bounded). */
export interface ToolCallFinished extends ToolCallRecord {
  result?: unknown;
}

export interface ChatDone {
  sessionId: string;
  reply: string;
  toolCalls: ToolCallRecord[];
  usage: TurnUsage;
  budget: BudgetStatus;
  historyDropped?: number;
  stopped?: 'time' | 'budget' | 'error' | 'iteration_limit';
}

// ---------------------------------------------------------------- files (the document: objects)

export type FileStatus = 'pending' | 'uploaded' | 'processing' | 'processed' | 'failed';

/** `POST /files/upload` (JSON): where to PUT the bytes. */
export interface UploadTicket {
  fileId: string;
  uploadUrl: string;
  method: 'PUT';
  headers: Record<string, string>;
  expiresAt: string;
  status: FileStatus;
}

/** `number`, `checkbox`, `date`, `email`, `url` or `text`. */
export type ColumnType = 'number' | 'checkbox' | 'date' | 'email' | 'url' | 'text';

export interface FilePreview {
  columns: { name: string; type: ColumnType }[];
  /** Up to 50 rows, each in column order. */
  rows: unknown[][];
  rowCount: number;
}

export interface FileView {
  id: string;
  name: string;
  contentType: string;
  size: number;
  status: FileStatus;
  /** The kind found in the bytes (csv, tsv, json, xlsx, txt, pdf, docx). */
  kind: string | null;
  error: string | null;
  createdAt: string;
  updatedAt: string;
  rowCount: number | null;
  textChars: number | null;
  pages: number | null;
  /** GET /files/{id} only. */
  preview?: FilePreview | null;
}

// ---------------------------------------------------------------- sagas

export type SagaStatus = 'running' | 'completed' | 'compensating' | 'compensated' | 'compensation_failed' | 'failed';
export type SagaType = 'import_file' | 'bulk_update' | 'sync_tables';

export interface SagaStep {
  name: string;
  /** `pending`, `running`, `done`, `failed`, `undoing`, `undone`, `undo_failed`. */
  status: string;
  startedAt?: string | null;
  finishedAt?: string | null;
  result?: unknown;
  error?: string | null;
}

export interface SagaLogEntry {
  step: string;
  /** `undone`, `nothing_to_undo`, `failed`. */
  outcome: string;
  at: string;
  detail: string;
}

export interface Saga {
  transactionId: string;
  type: SagaType | string;
  status: SagaStatus;
  input: Record<string, unknown>;
  steps: SagaStep[];
  compensationLog: SagaLogEntry[];
  /** The step that reports progress: `{step, done, total}`. */
  progress: { step: string; done: number; total: number } | null;
  error: string | null;
  cancelRequested: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface SagaPage {
  transactions: Saga[];
  cursor: string | null;
}

export interface SagaStarted {
  transactionId: string;
  status: SagaStatus;
  type: string;
}

// ---------------------------------------------------------------- workflows

export type Trigger =
  | { type: 'manual' }
  | { type: 'schedule'; cron?: string; rate?: string; timezone?: string }
  | { type: 'file_processed'; fileType?: string; namePattern?: string }
  | { type: 'webhook' }
  | { type: 'record_matches'; baseId: string; table: string; on?: 'created' | 'modified'; field?: string; filterByFormula?: string; every?: string };

export type TriggerType = Trigger['type'];

export type CompareOp =
  | 'equals'
  | 'notEquals'
  | 'contains'
  | 'notContains'
  | 'greaterThan'
  | 'greaterOrEqual'
  | 'lessThan'
  | 'lessOrEqual'
  | 'exists'
  | 'notExists'
  | 'regex';

export type Condition = { all: Condition[] } | { any: Condition[] } | { left: unknown; op: CompareOp; right?: unknown };

export interface WorkflowStep {
  id: string;
  type: string;
  name?: string;
  input?: unknown;
  if?: Condition;
  then?: WorkflowStep[];
  else?: WorkflowStep[];
  items?: unknown;
  steps?: WorkflowStep[];
  maxItems?: number;
  continueOnError?: boolean;
  retry?: { attempts: number; backoffSeconds?: number };
}

export interface WorkflowDefinition {
  name: string;
  description?: string;
  trigger: Trigger;
  steps: WorkflowStep[];
  timeoutSeconds?: number;
}

export type RunStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface Workflow extends WorkflowDefinition {
  id: string;
  enabled: boolean;
  version: number;
  createdBy: string;
  updatedBy: string;
  createdAt: string;
  updatedAt: string;
  stats: { runs: number; successes: number; failures: number; lastRunAt: string | null; lastStatus: RunStatus | null };
  polling?: { since: string | null; lastPollAt: string | null; error: string | null };
  /** Webhook workflows; `secret` only in the answer that made it (create, or a switch to webhook). */
  webhook?: { url: string; signatureHeader: string; timestampHeader: string; secret?: string };
}

export interface WorkflowPage {
  workflows: Workflow[];
  cursor: string | null;
}

export interface Validation {
  valid: boolean;
  trigger: TriggerType;
  steps: number;
  schedule: { expression: string; timezone: string; nextRuns: string[] } | null;
}

export interface RunStarted {
  executionId: string;
  workflowId: string;
  status: RunStatus;
}

export interface RunSummary {
  executionId: string;
  workflowId: string;
  status: RunStatus;
  trigger: { type: string };
  createdAt: string;
  finishedAt: string | null;
  error: unknown;
}

export interface RunPage {
  executions: RunSummary[];
  cursor: string | null;
}

export interface RunStep {
  path: string;
  stepId: string;
  type: string;
  /** `running`, `waiting` (a delay), `succeeded`, `failed`, `skipped`. */
  status: string;
  seq: number;
  input: unknown;
  output: unknown;
  error?: unknown;
  attempts: number;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  resumeAt?: number;
}

export interface Run {
  executionId: string;
  workflowId: string;
  status: RunStatus;
  trigger: { type: string; data?: unknown };
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  error: unknown;
  deadLettered: boolean;
  cancelRequested: boolean;
  steps: RunStep[];
  logs: unknown[];
}

export interface SecretView {
  name: string;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}
