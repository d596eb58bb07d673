// Response types the OpenAPI document does not describe yet (it types them as a bare object).
// Declared once here, from the README and the real responses; when the document gains a schema
// for one, switch its users to the generated type and delete it from this file.
import type { components } from './schema';

export type Role = components['schemas']['Role'];
export const ROLES: readonly Role[] = ['viewer', 'member', 'admin', 'owner'];
const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };
export function atLeast(role: Role | undefined, min: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[min];
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
  refreshExpiresAt: string;
}

export interface User {
  id: string;
  email: string;
  name: string | null;
  createdAt: string;
}

export interface Tenant {
  id: string;
  name: string;
  createdAt: string;
}

/** register, login, refresh-free session starts: invitation accept, workspace switch. */
export interface SessionResponse {
  user: User;
  tenant: Tenant;
  role: Role;
  tokens: Tokens;
}

/** GET /auth/me for a signed-in user. */
export interface Me {
  type: 'user';
  user: User;
  tenant: Tenant;
  role: Role;
  /** Every workspace of the user (ids and roles only: names are not in the response). */
  tenants: { tenantId: string; role: Role }[];
}

export interface TenantInfo {
  tenant: Tenant;
  role: Role;
  memberCount: number;
  ownerCount: number;
}

export interface Member {
  userId: string;
  email: string;
  name: string | null;
  role: Role;
  joinedAt: string;
}

export interface Invitation {
  id: string;
  email: string;
  role: Role;
  invitedBy: string;
  createdAt: string;
  expiresAt: string;
}

export interface MembersResponse {
  members: Member[];
  /** Only for owners and admins. */
  invitations?: Invitation[];
}

export interface InviteResponse {
  invitation: Invitation;
  invitationToken: string;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
}

export interface CreatedApiKey extends ApiKey {
  /** The secret, shown once. */
  key: string;
}

export type Connection =
  | { status: 'not_connected' }
  | {
      status: 'connected';
      scopes: string[];
      basesCount: number;
      airtableUserId: string | null;
      connectedBy: string;
      connectedAt: string;
      lastCheckedAt: string;
    };

export interface Base {
  id: string;
  name: string;
  permissionLevel: string;
}

export interface Choice {
  id?: string;
  name: string;
  color?: string;
}

export interface Field {
  id: string;
  name: string;
  type: string;
  description?: string;
  options?: {
    choices?: Choice[];
    precision?: number;
    dateFormat?: { name: string; format?: string };
    linkedTableId?: string;
    [key: string]: unknown;
  };
}

export interface TableSchema {
  id: string;
  name: string;
  description?: string;
  primaryFieldId: string;
  fields: Field[];
  views: { id: string; name: string; type: string }[];
}

export type FieldValue = unknown;

export interface AirtableRecord {
  id: string;
  createdTime: string;
  fields: Record<string, FieldValue>;
}

export interface RecordsPage {
  records: AirtableRecord[];
  cursor?: string | null;
  total?: number;
}

export interface Standing {
  limitUsd: number | null;
  spentUsd: number;
  remainingUsd: number | null;
}

export interface Budgets {
  tenantMonthlyUsd: number | null;
  userMonthlyUsd: number | null;
  alertThreshold: number;
  updatedAt: string;
  month: string;
  tenant: Standing;
  user: Standing;
  alerts: { scope: 'tenant' | 'user'; userId: string | null; limitUsd: number; spentUsd: number; at: string }[];
}

export interface BudgetStatus {
  month: string;
  tenant: Standing;
  user: Standing;
  alertThreshold: number;
  alerts?: string[];
}

export interface ChatSessionSummary {
  id: string;
  title: string;
  baseId: string | null;
  createdAt: string;
  updatedAt: string;
  messageCount: number;
  modelCalls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface ToolCallRecord {
  id: string;
  name: string;
  arguments: unknown;
  ok: boolean;
  summary: string;
}

export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'toolUse'; id: string; name: string; input: unknown; malformed?: string }
  | { type: 'toolResult'; id: string; content: unknown; isError: boolean };

export interface ChatMessage {
  seq: number;
  role: 'user' | 'assistant' | 'tool';
  text: string;
  content: ContentBlock[];
  toolCalls: ToolCallRecord[];
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  latencyMs: number;
  model: string | null;
  createdAt: string;
}

export interface ChatSessionDetail extends ChatSessionSummary {
  messages: ChatMessage[];
}

export interface TurnUsage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  modelCalls: number;
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
