//! Domain identifiers, parsed at the edge ("parse, don't validate").
//!
//! Ids are a short type prefix and a UUIDv7 in hex (`ten_0190…`), so they sort by creation time
//! and say what they are in logs.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The prefix every id of this kind starts with.
            pub const PREFIX: &'static str = $prefix;

            /// A new, unique id.
            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, uuid::Uuid::now_v7().simple()))
            }

            /// Parses an id, checking its prefix and body.
            pub fn parse(s: &str) -> Result<Self, InvalidId> {
                let body = s.strip_prefix($prefix).ok_or(InvalidId($prefix))?;
                if body.len() == 32 && body.bytes().all(|b| b.is_ascii_hexdigit()) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(InvalidId($prefix))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, InvalidId> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some(concat!("^", $prefix, "[0-9a-f]{32}$")))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

/// An id that does not have the expected prefix or shape.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("must be an id starting with `{0}`")]
pub struct InvalidId(pub &'static str);

prefixed_id!(
    /// A tenant (workspace). Every tenant-owned DynamoDB key is built from one.
    TenantId, "ten_"
);
prefixed_id!(
    /// A user account.
    UserId, "usr_"
);
prefixed_id!(
    /// An API key (the id, not the secret).
    ApiKeyId, "key_"
);
prefixed_id!(
    /// A pending invitation to a tenant.
    InvitationId, "inv_"
);
prefixed_id!(
    /// A refresh-token family (one login session and its rotations).
    SessionId, "ses_"
);
prefixed_id!(
    /// A chat conversation.
    ChatId, "cht_"
);
prefixed_id!(
    /// An uploaded file.
    FileId, "fil_"
);
prefixed_id!(
    /// A saga (a multi-step change that undoes itself on failure); also its execution's name.
    SagaId, "sag_"
);
prefixed_id!(
    /// An automation workflow.
    WorkflowId, "wfl_"
);
prefixed_id!(
    /// One run of a workflow.
    ExecutionId, "wfx_"
);

/// A normalised (trimmed, lower-cased) email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses and normalises an address; rejects anything that is not `local@domain.tld`.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let s = raw.trim().to_lowercase();
        if s.len() > 254 {
            return Err("must be at most 254 characters");
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err("must be an email address");
        };
        let ok_local =
            !local.is_empty() && local.len() <= 64 && !local.contains(char::is_whitespace);
        let ok_domain = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if ok_local && ok_domain && !local.contains('@') {
            Ok(Self(s))
        } else {
            Err("must be an email address")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl utoipa::PartialSchema for Email {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            // What `parse` keeps, not the whole of RFC 5321 (`format: email`): a local part and
            // a dotted domain of letters, digits and hyphens, in lower case.
            .pattern(Some(r"^[^\s@]{1,64}@[^\s@.]+(?:\.[^\s@.]+)+$"))
            .max_length(Some(254))
            .into()
    }
}

impl utoipa::ToSchema for Email {}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

/// An Airtable object id: a 3-letter prefix and 14 alphanumerics (`appXXXXXXXXXXXXXX`).
fn airtable_id(s: &str, prefix: &str) -> bool {
    s.len() == 17 && s.starts_with(prefix) && s[3..].chars().all(|c| c.is_ascii_alphanumeric())
}

/// An Airtable base id (`app…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BaseId(String);

impl BaseId {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if airtable_id(s, "app") {
            Ok(Self(s.to_owned()))
        } else {
            Err("must be an Airtable base id (app followed by 14 letters or digits)")
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An Airtable record id (`rec…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordId(String);

impl RecordId {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if airtable_id(s, "rec") {
            Ok(Self(s.to_owned()))
        } else {
            Err("must be an Airtable record id (rec followed by 14 letters or digits)")
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A table or field named by id (`tbl…`/`fld…`) or by name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NameOrId(String);

impl NameOrId {
    /// Accepts an id with the given prefix, or a name of 1–255 printable characters.
    pub fn parse(s: &str, prefix: &str) -> Result<Self, &'static str> {
        let t = s.trim();
        if t.is_empty() || t.chars().count() > 255 || t.chars().any(char::is_control) {
            return Err("must be an id or a name of 1 to 255 printable characters");
        }
        if t.len() == 17 && t.starts_with(prefix) && !airtable_id(t, prefix) {
            return Err("is not a valid Airtable id");
        }
        Ok(Self(t.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Lets an Airtable reference type be a typed tool argument: deserialised through its `parse`
/// (so a bad id is an argument error naming the rule) and described in the JSON Schema.
macro_rules! typed_argument {
    ($name:ident, $parse:expr, $schema:expr) => {
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                $parse(&raw).map_err(serde::de::Error::custom)
            }
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn inline_schema() -> bool {
                true
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                $schema
            }
        }
    };
}

typed_argument!(
    BaseId,
    BaseId::parse,
    schemars::json_schema!({"type": "string", "pattern": "^app[A-Za-z0-9]{14}$", "description": "Base id (app…), from list_bases"})
);
typed_argument!(
    RecordId,
    RecordId::parse,
    schemars::json_schema!({"type": "string", "pattern": "^rec[A-Za-z0-9]{14}$", "description": "Record id (rec…)"})
);
typed_argument!(
    TableRef,
    TableRef::parse,
    schemars::json_schema!({"type": "string", "minLength": 1, "maxLength": 255, "description": "Table id (tbl…) or exact table name"})
);

/// Unicode White_Space (what `str::trim` removes), as a regex class body.
macro_rules! ws {
    () => {
        r"\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"
    };
}
/// Control characters (`char::is_control`), as a regex class body.
macro_rules! ctrl {
    () => {
        r"\u0000-\u001F\u007F-\u009F"
    };
}

/// [`NAME_PATTERN`]'s white space class body, for patterns built at run time.
pub const WHITE_SPACE: &str = ws!();
/// [`NAME_PATTERN`]'s control character class body.
pub const CONTROL: &str = ctrl!();

/// A name as `NameOrId::parse` accepts it, as a JSON Schema pattern: after trimming Unicode
/// white space, 1–255 characters with no control character. The classes are spelled out (not
/// `\s`) so every regex engine reads them alike.
pub const NAME_PATTERN: &str = concat!(
    "^[",
    ws!(),
    "]*",
    "[^",
    ctrl!(),
    ws!(),
    "]",
    "(?:[^",
    ctrl!(),
    "]{0,253}[^",
    ctrl!(),
    ws!(),
    "])?",
    "[",
    ws!(),
    "]*$"
);

/// The OpenAPI schema of each Airtable reference, the same rules `parse` applies (request
/// structs name them with `#[schema(value_type = BaseId, inline)]` over a `String` field, so a
/// handler can still report every bad field at once).
macro_rules! openapi_schema {
    ($name:ident, $pattern:expr, $min:expr, $max:expr, $description:literal) => {
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some($pattern))
                    .min_length($min)
                    .max_length($max)
                    .description(Some($description))
                    .into()
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}

openapi_schema!(BaseId, "^app[A-Za-z0-9]{14}$", None, None, "Base id (app…)");
openapi_schema!(
    RecordId,
    "^rec[A-Za-z0-9]{14}$",
    None,
    None,
    "Record id (rec…)"
);
openapi_schema!(
    TableRef,
    NAME_PATTERN,
    None,
    None,
    "Table id (tbl…) or exact table name"
);
openapi_schema!(NameOrId, NAME_PATTERN, None, None, "An id or an exact name");

/// A table named by id (`tbl…`) or by name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableRef(String);

impl TableRef {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        NameOrId::parse(s, "tbl").map(|n| Self(n.0))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back_and_keep_their_prefix() {
        let id = TenantId::generate();
        assert!(id.as_str().starts_with("ten_"));
        assert_eq!(TenantId::parse(id.as_str()).unwrap(), id);
    }

    #[test]
    fn ids_with_the_wrong_prefix_or_body_are_rejected() {
        let user = UserId::generate();
        assert!(TenantId::parse(user.as_str()).is_err());
        assert!(TenantId::parse("ten_xyz").is_err());
        assert!(TenantId::parse("ten_../../USER#x").is_err());
    }

    #[test]
    fn airtable_ids_are_checked() {
        assert!(BaseId::parse("appABCDEFGHIJ1234").is_ok());
        assert!(BaseId::parse("appshort").is_err());
        assert!(BaseId::parse("tblABCDEFGHIJ1234").is_err());
        assert!(RecordId::parse("recABCDEFGHIJ1234").is_ok());
        assert!(RecordId::parse("rec../../x0000000").is_err());
        assert!(NameOrId::parse("My Table", "tbl").is_ok());
        assert!(NameOrId::parse("", "tbl").is_err());
        assert!(NameOrId::parse("line\nbreak", "tbl").is_err());
        assert!(NameOrId::parse("tblNOT-AN-ID-1234", "tbl").is_err());
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@c.com",
            "ada@.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
