// The app's names for the API's types. Where docs/openapi.json has a schema, the type IS the
// generated one (aliased here once, so features read `Me`, not `components['schemas'][…]`);
// unwrap() infers them from the call. Every answer the app reads has a schema (files, sagas,
// workflows and their runs, secrets, tools, record writes included).
//
// What this file still declares itself is what the document does not describe (it types it as a
// bare object, or `{}`): the SSE events of /chat/stream, chat content blocks, Airtable's field
// options, the budget standing of a turn and of the analytics reports, a saga's `progress` and
// `input`, and a workflow definition's internals (the trigger and step shapes the editor builds,
// which the document types as `object`). Each is laid over the generated type with Omit & …,
// so everything else still comes from the document.
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

// ---------------------------------------------------------------- files

export type FileStatus = Schemas['FileStatus'];
export type FileView = Schemas['FileView'];
export type FilePreview = Schemas['Preview'];
export type UploadTicket = Schemas['UploadTicket'];

/** `POST /files/upload` answers a ticket to a JSON request (the stored file to a multipart one). */
export function isUploadTicket(a: Schemas['UploadAnswer']): a is UploadTicket {
  return 'uploadUrl' in a;
}

// ---------------------------------------------------------------- sagas

export type SagaStatus = Schemas['SagaStatus'];
export type SagaStep = Schemas['SagaStep'];
export type SagaLogEntry = Schemas['SagaLogEntry'];
export type SagaStarted = Schemas['SagaStarted'];

/** The step that reports progress (the document: `{step, done, total}` in words). */
export interface SagaProgress {
  step: string;
  done: number;
  total: number;
}

/** A saga: the generated view, with `progress` and `input` (the document: any value) typed as
 *  the API sends them — the progress above, and the checked input object of its type. */
export type Saga = Omit<Schemas['SagaView'], 'progress' | 'input'> & { progress?: SagaProgress | null; input: Record<string, unknown> };
export type SagaPage = Omit<Schemas['SagasResponse'], 'transactions'> & { transactions: Saga[] };

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

/** A workflow: the generated view, with its definition's trigger and steps (the document:
 *  objects) typed as the editor builds them. */
export type Workflow = Omit<Schemas['WorkflowView'], 'trigger' | 'steps'> & { trigger: Trigger; steps: WorkflowStep[] };
export type WorkflowPage = Omit<Schemas['WorkflowsResponse'], 'workflows'> & { workflows: Workflow[] };
export type Validation = Schemas['Validated'];
export type RunStarted = Schemas['RunAnswer'];
export type RunSummary = Schemas['ExecutionSummary'];
export type RunPage = Schemas['ExecutionsResponse'];
export type Run = Schemas['ExecutionView'];
export type RunStep = Schemas['RunStep'];
export type RunLogEntry = Schemas['RunLogEntry'];
export type NewSecret = Schemas['NewSecret'];
export type SecretView = Schemas['SecretView'];
