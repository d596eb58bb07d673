//! Every key of the single table, built in one place (documented in docs/data-model.md).
//!
//! Tenant-owned items live in partitions `T#<tenantId>`, and their builders take a [`TenantId`],
//! which handlers only obtain from a verified identity: no handler can build a key that crosses
//! tenants. The few global items are lookups that must be found before a tenant is known
//! (an email at login, an API key's hash, a user's sessions).

use crate::ids::{
    ApiKeyId, ChatId, Email, ExecutionId, FileId, InvitationId, SagaId, SessionId, TenantId,
    UserId, WorkflowId,
};

/// A primary key (or GSI1 key) of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

/// A partition and a sort-key prefix: the shape of every Query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix {
    pub pk: String,
    pub sk_prefix: String,
}

fn tenant_pk(tenant: &TenantId) -> String {
    format!("T#{tenant}")
}

fn user_pk(user: &UserId) -> String {
    format!("USER#{user}")
}

// ---- global lookups ----

/// Email → user id. Created in the same transaction as the user, with a condition, so two
/// registrations of one address cannot both succeed.
pub fn email(email: &Email) -> Key {
    Key::new(format!("EMAIL#{email}"), "EMAIL")
}

/// Sign-in attempts of an email address, known or not (the lockout counter).
pub fn login_attempts(email: &Email) -> Key {
    Key::new(format!("LOGIN#{email}"), "ATTEMPTS")
}

/// A user's profile (password hash, default tenant).
pub fn user(user: &UserId) -> Key {
    Key::new(user_pk(user), "PROFILE")
}

/// One login session (a refresh-token family).
pub fn session(user: &UserId, session: &SessionId) -> Key {
    Key::new(user_pk(user), format!("SESSION#{session}"))
}

/// All sessions of a user.
pub fn sessions_of(user: &UserId) -> Prefix {
    Prefix {
        pk: user_pk(user),
        sk_prefix: "SESSION#".into(),
    }
}

/// API-key hash → tenant, key id and role. Unique by condition, like emails.
pub fn api_key_lookup(secret_hash: &str) -> Key {
    Key::new(format!("APIKEY#{secret_hash}"), "APIKEY")
}

// ---- tenant-owned ----

/// The tenant (workspace) itself.
pub fn tenant(tenant: &TenantId) -> Key {
    Key::new(tenant_pk(tenant), "TENANT")
}

/// A user's membership of a tenant (their role there).
pub fn member(tenant: &TenantId, user: &UserId) -> Key {
    Key::new(tenant_pk(tenant), format!("MEMBER#{user}"))
}

/// GSI1 key of a membership: lists the tenants of a user.
pub fn member_gsi1(tenant: &TenantId, user: &UserId) -> Key {
    Key::new(user_pk(user), tenant_pk(tenant))
}

/// All members of a tenant.
pub fn members_of(tenant: &TenantId) -> Prefix {
    Prefix {
        pk: tenant_pk(tenant),
        sk_prefix: "MEMBER#".into(),
    }
}

/// All tenants a user belongs to (GSI1).
pub fn tenants_of(user: &UserId) -> Prefix {
    Prefix {
        pk: user_pk(user),
        sk_prefix: "T#".into(),
    }
}

/// A pending invitation.
pub fn invitation(tenant: &TenantId, invitation: &InvitationId) -> Key {
    Key::new(tenant_pk(tenant), format!("INVITE#{invitation}"))
}

/// All pending invitations of a tenant.
pub fn invitations_of(tenant: &TenantId) -> Prefix {
    Prefix {
        pk: tenant_pk(tenant),
        sk_prefix: "INVITE#".into(),
    }
}

/// An API key's record (name, prefix, role; never the secret).
pub fn api_key(tenant: &TenantId, key: &ApiKeyId) -> Key {
    Key::new(tenant_pk(tenant), format!("APIKEY#{key}"))
}

/// All API keys of a tenant.
pub fn api_keys_of(tenant: &TenantId) -> Prefix {
    Prefix {
        pk: tenant_pk(tenant),
        sk_prefix: "APIKEY#".into(),
    }
}

/// The tenant's Airtable connection (KMS-encrypted token, status).
pub fn airtable_connection(tenant: &TenantId) -> Key {
    Key::new(tenant_pk(tenant), "CONN#airtable")
}

/// A cached Airtable response; `hash` covers the request and the table's version.
pub fn cache_entry(tenant: &TenantId, hash: &str) -> Key {
    Key::new(tenant_pk(tenant), format!("CACHE#{hash}"))
}

/// An MCP client cancelled one of its requests (`notifications/cancelled`): `caller` is the
/// caller's id, `request` a hash of the JSON-RPC id. The running call, on whichever instance,
/// reads it between pages and chunks; it expires after a few minutes.
pub fn mcp_cancel(tenant: &TenantId, caller: &str, request: &str) -> Key {
    Key::new(tenant_pk(tenant), format!("MCPCANCEL#{caller}#{request}"))
}

/// A stored response for an `Idempotency-Key`.
pub fn idempotency(tenant: &TenantId, key: &str) -> Key {
    Key::new(tenant_pk(tenant), format!("IDEM#{key}"))
}

/// The send schedule of one Airtable base, shared by every instance and tenant (Airtable limits
/// requests per base, whoever sends them).
pub fn base_limiter(base: &str) -> Key {
    Key::new(format!("LIMIT#{base}"), "LIMIT")
}

// ---- files ----

/// An uploaded file: metadata, status, preview.
pub fn file(tenant: &TenantId, file: &FileId) -> Key {
    Key::new(tenant_pk(tenant), format!("FILE#{file}"))
}

pub fn files_of(tenant: &TenantId) -> Prefix {
    Prefix {
        pk: tenant_pk(tenant),
        sk_prefix: "FILE#".into(),
    }
}

// ---- sagas ----

/// A saga: type, input, status, steps, compensation log, progress.
pub fn saga(tenant: &TenantId, saga: &SagaId) -> Key {
    Key::new(tenant_pk(tenant), format!("SAGA#{saga}"))
}

pub fn sagas_of(tenant: &TenantId) -> Prefix {
    Prefix {
        pk: tenant_pk(tenant),
        sk_prefix: "SAGA#".into(),
    }
}

/// What one step of a saga did (the data its compensation needs: created ids, snapshots).
pub fn saga_data(tenant: &TenantId, saga: &SagaId, step: &str) -> Key {
    Key::new(tenant_pk(tenant), format!("SAGADATA#{saga}#{step}"))
}

// ---- workflows ----

/// A workflow: definition, enabled, counters, polling cursor.
pub fn workflow(tenant: &TenantId, workflow: &WorkflowId) -> Key {
    Key::new(tenant_pk(tenant), format!("WF#{workflow}"))
}

pub fn workflows_of(tenant: &TenantId) -> Prefix {
    Prefix {
        pk: tenant_pk(tenant),
        sk_prefix: "WF#".into(),
    }
}

/// A workspace secret (`{{secrets.NAME}}` in workflows).
pub fn secret(tenant: &TenantId, name: &str) -> Key {
    Key::new(tenant_pk(tenant), format!("SECRET#{name}"))
}

pub fn secrets_of(tenant: &TenantId) -> Prefix {
    Prefix {
        pk: tenant_pk(tenant),
        sk_prefix: "SECRET#".into(),
    }
}

/// Webhook workflow id → tenant: found before any tenant is known, like an API key's hash.
pub fn webhook(workflow: &WorkflowId) -> Key {
    Key::new(format!("HOOK#{workflow}"), "HOOK")
}

/// A webhook delivery already accepted (replay protection; expires with the signature's window).
pub fn webhook_delivery(tenant: &TenantId, workflow: &WorkflowId, signature: &str) -> Key {
    Key::new(tenant_pk(tenant), format!("WFHOOK#{workflow}#{signature}"))
}

/// One run of a workflow (status, trigger, definition copy, logs); GSI1 lists a workflow's runs.
pub fn execution(tenant: &TenantId, execution: &ExecutionId) -> Key {
    Key::new(tenant_pk(tenant), format!("WFX#{execution}"))
}

pub fn execution_gsi1(tenant: &TenantId, workflow: &WorkflowId, execution: &ExecutionId) -> Key {
    Key::new(
        format!("{}#WF#{workflow}", tenant_pk(tenant)),
        format!("WFX#{execution}"),
    )
}

/// The runs of a workflow (GSI1), oldest first.
pub fn executions_of(tenant: &TenantId, workflow: &WorkflowId) -> Prefix {
    Prefix {
        pk: format!("{}#WF#{workflow}", tenant_pk(tenant)),
        sk_prefix: "WFX#".into(),
    }
}

/// What one step of a run did; `path` is the step id, or `loop[i].id` inside a for_each.
pub fn execution_step(tenant: &TenantId, execution: &ExecutionId, path: &str) -> Key {
    Key::new(
        format!("{}#WFX#{execution}", tenant_pk(tenant)),
        format!("STEP#{path}"),
    )
}

pub fn execution_steps_of(tenant: &TenantId, execution: &ExecutionId) -> Prefix {
    Prefix {
        pk: format!("{}#WFX#{execution}", tenant_pk(tenant)),
        sk_prefix: "STEP#".into(),
    }
}

/// A trigger event already turned into a run (a schedule's SQS message, a processed file, a
/// polled record version): a redelivered event finds its run instead of starting another.
pub fn trigger_event(tenant: &TenantId, workflow: &WorkflowId, event: &str) -> Key {
    Key::new(tenant_pk(tenant), format!("WFEVENT#{workflow}#{event}"))
}

// ---- chat, usage, budgets ----

/// A chat session (title, counters); GSI1 lists a user's sessions, oldest first.
pub fn chat(tenant: &TenantId, chat: &ChatId) -> Key {
    Key::new(tenant_pk(tenant), format!("CHAT#{chat}"))
}

pub fn chat_gsi1(tenant: &TenantId, user: &UserId, chat: &ChatId) -> Key {
    Key::new(
        format!("{}#CHATS#{user}", tenant_pk(tenant)),
        format!("CHAT#{chat}"),
    )
}

/// A user's chat sessions (GSI1).
pub fn chats_of(tenant: &TenantId, user: &UserId) -> Prefix {
    Prefix {
        pk: format!("{}#CHATS#{user}", tenant_pk(tenant)),
        sk_prefix: "CHAT#".into(),
    }
}

/// One message of a chat, numbered in order (zero-padded so they sort).
pub fn chat_message(tenant: &TenantId, chat: &ChatId, seq: u32) -> Key {
    Key::new(
        format!("{}#CHAT#{chat}", tenant_pk(tenant)),
        format!("MSG#{seq:06}"),
    )
}

pub fn chat_messages_of(tenant: &TenantId, chat: &ChatId) -> Prefix {
    Prefix {
        pk: format!("{}#CHAT#{chat}", tenant_pk(tenant)),
        sk_prefix: "MSG#".into(),
    }
}

/// Usage counters of a period (`D#2026-11-28` or `M#2026-11`), for the tenant or one user;
/// every event ADDs to them atomically.
pub fn usage(tenant: &TenantId, period: &str, user: Option<&UserId>) -> Key {
    match user {
        Some(u) => Key::new(tenant_pk(tenant), format!("USAGE#{period}#U#{u}")),
        None => Key::new(tenant_pk(tenant), format!("USAGE#{period}")),
    }
}

/// The tenant's LLM budgets.
pub fn budget(tenant: &TenantId) -> Key {
    Key::new(tenant_pk(tenant), "BUDGET")
}

/// A budget alert, once per month and scope (`tenant` or a user id).
pub fn budget_alert(tenant: &TenantId, month: &str, scope: &str) -> Key {
    Key::new(tenant_pk(tenant), format!("BUDGETALERT#{month}#{scope}"))
}

pub fn budget_alerts_of(tenant: &TenantId, month: &str) -> Prefix {
    Prefix {
        pk: tenant_pk(tenant),
        sk_prefix: format!("BUDGETALERT#{month}#"),
    }
}

// ---- usage counters (analytics) ----

/// The tenant's usage counters of one hour (`2026-12-01T07`): every request and message ADDs to
/// it as it ends. Hours sort as text, so a period is one Query with `BETWEEN`.
pub fn stats_hour(tenant: &TenantId, hour: &str) -> Key {
    Key::new(tenant_pk(tenant), format!("STAT#H#{hour}"))
}

/// One user's usage counters of one hour (what that user's own requests and runs did).
pub fn user_stats_hour(tenant: &TenantId, user: &UserId, hour: &str) -> Key {
    Key::new(tenant_pk(tenant), format!("STAT#U#{user}#H#{hour}"))
}

/// The tenant's (or one user's) counter items from hour `from` to hour `to`, both included.
pub fn stats_between(tenant: &TenantId, user: Option<&UserId>, from: &str, to: &str) -> Range {
    let (a, b) = match user {
        Some(u) => (
            user_stats_hour(tenant, u, from),
            user_stats_hour(tenant, u, to),
        ),
        None => (stats_hour(tenant, from), stats_hour(tenant, to)),
    };
    Range {
        pk: a.pk,
        from: a.sk,
        to: b.sk,
    }
}

/// A partition and an inclusive sort-key range (a Query with `BETWEEN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    pub pk: String,
    pub from: String,
    pub to: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_owned_keys_start_with_the_tenant_partition() {
        let t = TenantId::parse("ten_0190aaaaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap();
        let u = UserId::parse("usr_0190bbbbbbbbbbbbbbbbbbbbbbbbbbbb").unwrap();
        assert_eq!(
            tenant(&t),
            Key::new("T#ten_0190aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "TENANT")
        );
        assert_eq!(
            member(&t, &u),
            Key::new(
                "T#ten_0190aaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "MEMBER#usr_0190bbbbbbbbbbbbbbbbbbbbbbbbbbbb"
            )
        );
        assert_eq!(
            member_gsi1(&t, &u),
            Key::new(
                "USER#usr_0190bbbbbbbbbbbbbbbbbbbbbbbbbbbb",
                "T#ten_0190aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            )
        );
        assert_eq!(members_of(&t).sk_prefix, "MEMBER#");
        assert!(api_key(&t, &ApiKeyId::generate()).pk.starts_with("T#ten_"));
        assert!(
            invitation(&t, &InvitationId::generate())
                .sk
                .starts_with("INVITE#inv_")
        );
    }

    #[test]
    fn chat_and_usage_keys_stay_in_the_tenant_partition() {
        let t = TenantId::parse("ten_0190aaaaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap();
        let u = UserId::parse("usr_0190bbbbbbbbbbbbbbbbbbbbbbbbbbbb").unwrap();
        let c = ChatId::parse("cht_0190cccccccccccccccccccccccccccc").unwrap();
        assert_eq!(
            chat_message(&t, &c, 7),
            Key::new(
                "T#ten_0190aaaaaaaaaaaaaaaaaaaaaaaaaaaa#CHAT#cht_0190cccccccccccccccccccccccccccc",
                "MSG#000007"
            )
        );
        assert_eq!(
            usage(&t, "M#2026-11", Some(&u)).sk,
            "USAGE#M#2026-11#U#usr_0190bbbbbbbbbbbbbbbbbbbbbbbbbbbb"
        );
        assert!(
            chat_gsi1(&t, &u, &c)
                .pk
                .starts_with("T#ten_0190aaaaaaaaaaaaaaaaaaaaaaaaaaaa#CHATS#")
        );
        assert_eq!(
            budget(&t),
            Key::new("T#ten_0190aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "BUDGET")
        );
    }

    #[test]
    fn counter_items_are_hourly_in_the_tenant_partition_and_ranges_stay_on_one_prefix() {
        let t = TenantId::parse("ten_0190aaaaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap();
        let u = UserId::parse("usr_0190bbbbbbbbbbbbbbbbbbbbbbbbbbbb").unwrap();
        assert_eq!(
            stats_hour(&t, "2026-12-01T07"),
            Key::new(
                "T#ten_0190aaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "STAT#H#2026-12-01T07"
            )
        );
        assert_eq!(
            user_stats_hour(&t, &u, "2026-12-01T07").sk,
            "STAT#U#usr_0190bbbbbbbbbbbbbbbbbbbbbbbbbbbb#H#2026-12-01T07"
        );
        let r = stats_between(&t, Some(&u), "2026-12-01T00", "2026-12-01T23");
        assert_eq!(
            r.from,
            "STAT#U#usr_0190bbbbbbbbbbbbbbbbbbbbbbbbbbbb#H#2026-12-01T00"
        );
        assert_eq!(
            r.to,
            "STAT#U#usr_0190bbbbbbbbbbbbbbbbbbbbbbbbbbbb#H#2026-12-01T23"
        );
        let r = stats_between(&t, None, "2026-11-01T00", "2026-11-30T23");
        assert_eq!(
            (r.from.as_str(), r.to.as_str()),
            ("STAT#H#2026-11-01T00", "STAT#H#2026-11-30T23")
        );
    }

    #[test]
    fn global_lookups_are_keyed_by_what_is_known_before_the_tenant() {
        let e = Email::parse("Ada@Example.com").unwrap();
        assert_eq!(email(&e), Key::new("EMAIL#ada@example.com", "EMAIL"));
        assert_eq!(api_key_lookup("ab12"), Key::new("APIKEY#ab12", "APIKEY"));
    }
}
