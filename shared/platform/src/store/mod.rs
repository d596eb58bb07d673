//! The DynamoDB single table: typed items in, typed items out, keys built only in [`keys`].
//!
//! Reads of a single item are strongly consistent; listings are Queries (never Scans), paged to
//! the end. Items that expire carry `ttl` and are also checked on read by their owners, since
//! emulators never expire anything.

pub mod keys;
pub mod members;

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{Delete, Put, ReturnValue, TransactWriteItem, Update};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use aws_sdk_dynamodb::types::AttributeValue;
pub use keys::Key;

/// One DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

/// A type stored as items of the table: where an item lives, the `entity` tag it carries, the
/// GSI1 key it is listed by and when DynamoDB may delete it all come from the value, so writing
/// one is `store.put(&value)` and no call site assembles keys, tags or `ttl` by hand.
pub trait Entity: Serialize {
    /// The `entity` attribute of every item of this type (snake_case).
    const TAG: &'static str;

    /// Its primary key (built in [`keys`], like every key).
    fn key(&self) -> Key;

    /// Its GSI1 key, for types listed through the index.
    fn gsi1(&self) -> Option<Key> {
        None
    }

    /// When DynamoDB may delete it (epoch seconds, the `ttl` attribute).
    fn expires_at(&self) -> Option<i64> {
        None
    }

    /// The whole item: the value's attributes, keys, tag and `ttl`.
    fn to_item(&self) -> Result<Item, StoreError> {
        let mut item: Item = serde_dynamo::to_item(self)?;
        let key = self.key();
        item.insert("PK".into(), AttributeValue::S(key.pk));
        item.insert("SK".into(), AttributeValue::S(key.sk));
        item.insert("entity".into(), AttributeValue::S(Self::TAG.to_owned()));
        if let Some(gsi) = self.gsi1() {
            item.insert("GSI1PK".into(), AttributeValue::S(gsi.pk));
            item.insert("GSI1SK".into(), AttributeValue::S(gsi.sk));
        }
        if let Some(at) = self.expires_at() {
            item.insert("ttl".into(), AttributeValue::N(at.to_string()));
        }
        Ok(item)
    }
}

/// What can go wrong talking to the table.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A condition on a write (or a transaction's condition check) did not hold.
    #[error("a write condition was not met")]
    ConditionFailed,
    #[error("DynamoDB request failed: {0}")]
    Sdk(String, #[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("a stored item has an unexpected shape")]
    Shape(#[from] serde_dynamo::Error),
}

impl StoreError {
    /// Maps any SDK error, recognising failed conditions (plain or inside a transaction).
    pub fn from_sdk<E, R>(err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        match err.code() {
            Some("ConditionalCheckFailedException") | Some("TransactionCanceledException") => {
                Self::ConditionFailed
            }
            code => Self::Sdk(code.unwrap_or("unknown").to_owned(), Box::new(err)),
        }
    }
}

/// The table and its client.
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: String,
}

/// A type whose attributes do not repeat its key's parts (a secret does not name its tenant, a
/// chat message its chat): it is stored [`Under`] its parent, which gives the key.
pub trait Child<P>: Serialize {
    /// The `entity` attribute of every item of this type (snake_case).
    const TAG: &'static str;

    /// Its key under `parent`.
    fn key(&self, parent: &P) -> Key;

    /// Its GSI1 key under `parent`, for types listed through the index.
    fn gsi1(&self, _parent: &P) -> Option<Key> {
        None
    }

    /// When DynamoDB may delete it (epoch seconds, the `ttl` attribute).
    fn expires_at(&self) -> Option<i64> {
        None
    }
}

/// A value as stored under its parent: `store.put(&Under(&tenant, &secret))`. Serialised as the
/// value alone (the parent only gives the key).
#[derive(Serialize)]
#[serde(transparent)]
pub struct Under<'a, P, T>(#[serde(skip)] pub &'a P, pub &'a T);

impl<P, T: Child<P>> Entity for Under<'_, P, T> {
    const TAG: &'static str = T::TAG;
    fn key(&self) -> Key {
        self.1.key(self.0)
    }
    fn gsi1(&self) -> Option<Key> {
        self.1.gsi1(self.0)
    }
    fn expires_at(&self) -> Option<i64> {
        self.1.expires_at()
    }
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// The key attributes only, as `GetItem`/`DeleteItem` want them.
    pub fn key_map(key: &Key) -> Item {
        HashMap::from([
            ("PK".to_owned(), AttributeValue::S(key.pk.clone())),
            ("SK".to_owned(), AttributeValue::S(key.sk.clone())),
        ])
    }

    /// Reads one item, strongly consistent.
    pub async fn get<T: DeserializeOwned>(&self, key: &Key) -> Result<Option<T>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key_map(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        out.item
            .map(serde_dynamo::from_item)
            .transpose()
            .map_err(StoreError::from)
    }

    /// Reads up to 100 items in one `BatchGetItem` (strongly consistent), in the order of `keys`:
    /// several independent reads in one round trip. Keys DynamoDB leaves unprocessed (throttling)
    /// are asked again, a few times, before the read fails.
    pub async fn batch_get(&self, keys: &[&Key]) -> Result<Vec<Option<Item>>, StoreError> {
        use aws_sdk_dynamodb::types::KeysAndAttributes;
        let mut found: HashMap<(String, String), Item> = HashMap::new();
        // DynamoDB refuses a request that names a key twice: each is asked once.
        let mut asked = std::collections::HashSet::new();
        let mut pending: Vec<Item> = keys
            .iter()
            .filter(|k| asked.insert((k.pk.as_str(), k.sk.as_str())))
            .map(|k| Self::key_map(k))
            .collect();
        for attempt in 0..5u32 {
            if pending.is_empty() {
                break;
            }
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(20 << attempt)).await;
            }
            let ask = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(true)
                .build()
                .map_err(|e| StoreError::Sdk("KeysAndAttributes".into(), Box::new(e)))?;
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, ask)
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            for item in out
                .responses
                .unwrap_or_default()
                .remove(&self.table)
                .unwrap_or_default()
            {
                let key = |k: &str| match item.get(k) {
                    Some(AttributeValue::S(v)) => v.clone(),
                    _ => String::new(),
                };
                found.insert((key("PK"), key("SK")), item);
            }
            pending = out
                .unprocessed_keys
                .unwrap_or_default()
                .remove(&self.table)
                .map(|k| k.keys)
                .unwrap_or_default();
        }
        if !pending.is_empty() {
            return Err(StoreError::Sdk(
                "UnprocessedKeys".into(),
                format!("{} keys still unprocessed after retries", pending.len()).into(),
            ));
        }
        Ok(keys
            .iter()
            .map(|k| found.get(&(k.pk.clone(), k.sk.clone())).cloned())
            .collect())
    }

    /// An item read by [`Store::batch_get`], as a `T`.
    pub fn decode<T: DeserializeOwned>(item: Option<Item>) -> Result<Option<T>, StoreError> {
        item.map(serde_dynamo::from_item)
            .transpose()
            .map_err(StoreError::from)
    }

    /// Writes a value, replacing any item with the same key.
    pub async fn put(&self, value: &impl Entity) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(value.to_item()?))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }

    /// Writes a value only if no item has its key yet ([`StoreError::ConditionFailed`]
    /// otherwise).
    pub async fn put_new(&self, value: &impl Entity) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(value.to_item()?))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }

    /// Deletes an item (no error when it is already gone).
    pub async fn delete(&self, key: &Key) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key_map(key)))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }

    /// Deletes an item only if `condition` holds ([`StoreError::ConditionFailed`] otherwise; an
    /// item that is gone fails a condition that names its attributes, as DynamoDB evaluates it
    /// against an empty item).
    pub async fn delete_if(
        &self,
        key: &Key,
        condition: &str,
        values: Values<'_>,
    ) -> Result<(), StoreError> {
        let mut req = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key_map(key)))
            .condition_expression(condition)
            .set_expression_attribute_names(
                Some(placeholders(&[condition])).filter(|m| !m.is_empty()),
            );
        for (name, value) in values {
            req = req.expression_attribute_values(*name, value.clone());
        }
        req.send().await.map_err(StoreError::from_sdk)?;
        Ok(())
    }

    /// Every item of one partition whose sort key starts with `prefix`, in sort-key order.
    pub async fn query_prefix<T: DeserializeOwned>(
        &self,
        prefix: &keys::Prefix,
    ) -> Result<Vec<T>, StoreError> {
        self.query_all("PK", "SK", None, prefix).await
    }

    /// Every item of one GSI1 partition whose GSI1 sort key starts with `prefix`.
    pub async fn query_gsi1<T: DeserializeOwned>(
        &self,
        prefix: &keys::Prefix,
    ) -> Result<Vec<T>, StoreError> {
        self.query_all("GSI1PK", "GSI1SK", Some("GSI1"), prefix)
            .await
    }

    async fn query_all<T: DeserializeOwned>(
        &self,
        pk_name: &str,
        sk_name: &str,
        index: Option<&str>,
        prefix: &keys::Prefix,
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let res = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_owned))
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#pk", pk_name)
                .expression_attribute_names("#sk", sk_name)
                .expression_attribute_values(":pk", AttributeValue::S(prefix.pk.clone()))
                .expression_attribute_values(":prefix", AttributeValue::S(prefix.sk_prefix.clone()))
                .set_consistent_read(index.is_none().then_some(true))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            for item in res.items.unwrap_or_default() {
                out.push(serde_dynamo::from_item(item)?);
            }
            match res.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(out),
            }
        }
    }
}

/// `(placeholder, value)` pairs of an update or condition expression.
pub type Values<'a> = &'a [(&'a str, AttributeValue)];

/// Attribute-name placeholders used in expressions: every `#word` stands for the attribute
/// `word`, so reserved words (`name`, `role`, `ttl`, …) can be written `#name`, `#role`, `#ttl`.
pub fn placeholders(expressions: &[&str]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for expr in expressions {
        let mut rest = *expr;
        while let Some(i) = rest.find('#') {
            let word: String = rest[i + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !word.is_empty() {
                out.insert(format!("#{word}"), word.clone());
            }
            rest = &rest[i + 1 + word.len()..];
        }
    }
    out
}

/// A string attribute value.
pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// A number attribute value.
pub fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

impl Store {
    /// Updates one item with an expression and an optional condition; returns the new item.
    pub async fn update<T: DeserializeOwned>(
        &self,
        key: &Key,
        expression: &str,
        condition: Option<&str>,
        values: Values<'_>,
    ) -> Result<T, StoreError> {
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key_map(key)))
            .update_expression(expression)
            .set_condition_expression(condition.map(str::to_owned))
            .set_expression_attribute_names(
                Some(placeholders(&[expression, condition.unwrap_or("")]))
                    .filter(|m| !m.is_empty()),
            )
            .return_values(ReturnValue::AllNew);
        for (name, value) in values {
            req = req.expression_attribute_values(*name, value.clone());
        }
        let out = req.send().await.map_err(StoreError::from_sdk)?;
        Ok(serde_dynamo::from_item(out.attributes.unwrap_or_default())?)
    }

    /// Adds to number attributes of one item in one `UpdateItem` (`ADD` is atomic, so concurrent
    /// writers sum exactly) and sets `sets` alongside. Counter names may hold any character.
    pub async fn add_counters(
        &self,
        key: &Key,
        counters: &std::collections::BTreeMap<String, i64>,
        sets: &[(&str, AttributeValue)],
    ) -> Result<(), StoreError> {
        if counters.is_empty() {
            return Ok(());
        }
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut adds = Vec::new();
        for (i, (name, by)) in counters.iter().enumerate() {
            names.insert(format!("#c{i}"), name.clone());
            values.insert(format!(":c{i}"), n(by));
            adds.push(format!("#c{i} :c{i}"));
        }
        let mut assigns = Vec::new();
        for (i, (name, value)) in sets.iter().enumerate() {
            names.insert(format!("#s{i}"), (*name).to_owned());
            values.insert(format!(":s{i}"), value.clone());
            assigns.push(format!("#s{i} = :s{i}"));
        }
        let mut expression = format!("ADD {}", adds.join(", "));
        if !assigns.is_empty() {
            expression.push_str(&format!(" SET {}", assigns.join(", ")));
        }
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key_map(key)))
            .update_expression(expression)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }

    /// Every item of a partition whose sort key is within `range` (inclusive), in key order,
    /// paged to the end.
    pub async fn query_range(&self, range: &keys::Range) -> Result<Vec<Item>, StoreError> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#PK = :pk AND #SK BETWEEN :from AND :to")
                .expression_attribute_names("#PK", "PK")
                .expression_attribute_names("#SK", "SK")
                .expression_attribute_values(":pk", s(&range.pk))
                .expression_attribute_values(":from", s(&range.from))
                .expression_attribute_values(":to", s(&range.to))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            out.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(out),
            }
        }
    }

    /// Starts an all-or-nothing write of several items.
    pub fn tx(&self) -> Tx {
        Tx {
            store: self.clone(),
            items: Vec::new(),
        }
    }
}

/// A `TransactWriteItems` under construction: every write commits, or none does.
pub struct Tx {
    store: Store,
    /// Each write, or why it could not be built (reported by `commit`).
    items: Vec<Result<TransactWriteItem, StoreError>>,
}

impl Tx {
    fn push<E: std::error::Error + Send + Sync + 'static>(
        &mut self,
        write: Result<TransactWriteItem, E>,
    ) {
        self.items
            .push(write.map_err(|e| StoreError::Sdk("BuildError".into(), Box::new(e))));
    }

    fn push_put(mut self, value: &impl Entity, condition: Option<&str>) -> Self {
        let item = match value.to_item() {
            Ok(item) => item,
            Err(e) => {
                self.items.push(Err(e));
                return self;
            }
        };
        let put = Put::builder()
            .table_name(&self.store.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_owned))
            .build();
        self.push(put.map(|p| TransactWriteItem::builder().put(p).build()));
        self
    }

    /// Writes a value, replacing any item with its key.
    pub fn put(self, value: &impl Entity) -> Self {
        self.push_put(value, None)
    }

    /// Writes a value that must not exist yet.
    pub fn put_new(self, value: &impl Entity) -> Self {
        self.push_put(value, Some("attribute_not_exists(PK)"))
    }

    /// Deletes an item that must exist.
    pub fn delete_existing(mut self, key: &Key) -> Self {
        let del = Delete::builder()
            .table_name(&self.store.table)
            .set_key(Some(Store::key_map(key)))
            .condition_expression("attribute_exists(PK)")
            .build();
        self.push(del.map(|d| TransactWriteItem::builder().delete(d).build()));
        self
    }

    /// Deletes an item if it is there.
    pub fn delete(mut self, key: &Key) -> Self {
        let del = Delete::builder()
            .table_name(&self.store.table)
            .set_key(Some(Store::key_map(key)))
            .build();
        self.push(del.map(|d| TransactWriteItem::builder().delete(d).build()));
        self
    }

    /// Updates an item with an expression and an optional condition.
    pub fn update(
        mut self,
        key: &Key,
        expression: &str,
        condition: Option<&str>,
        values: Values<'_>,
    ) -> Self {
        let mut b = Update::builder()
            .table_name(&self.store.table)
            .set_key(Some(Store::key_map(key)))
            .update_expression(expression)
            .set_condition_expression(condition.map(str::to_owned))
            .set_expression_attribute_names(
                Some(placeholders(&[expression, condition.unwrap_or("")]))
                    .filter(|m| !m.is_empty()),
            );
        for (name, value) in values {
            b = b.expression_attribute_values(*name, value.clone());
        }
        self.push(
            b.build()
                .map(|u| TransactWriteItem::builder().update(u).build()),
        );
        self
    }

    /// Commits; [`StoreError::ConditionFailed`] when any condition did not hold.
    pub async fn commit(self) -> Result<(), StoreError> {
        let items = self.items.into_iter().collect::<Result<Vec<_>, _>>()?;
        self.store
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Thing {
        display_name: String,
        #[serde(skip)]
        expires: Option<i64>,
    }

    impl Entity for Thing {
        const TAG: &'static str = "thing";
        fn key(&self) -> Key {
            Key::new("T#ten_1", "THING#1")
        }
        fn gsi1(&self) -> Option<Key> {
            Some(Key::new("G#1", "S#1"))
        }
        fn expires_at(&self) -> Option<i64> {
            self.expires
        }
    }

    #[test]
    fn placeholders_name_every_hash_word_once() {
        let p = placeholders(&[
            "SET #role = :r, #name = :n",
            "#role = :old AND attribute_exists(PK)",
        ]);
        assert_eq!(p.len(), 2);
        assert_eq!(p["#role"], "role");
        assert_eq!(p["#name"], "name");
    }

    #[test]
    fn items_carry_keys_entity_gsi_and_ttl() {
        let thing = Thing {
            display_name: "x".into(),
            expires: Some(42),
        };
        let item = thing.to_item().unwrap();
        assert_eq!(item["PK"], AttributeValue::S("T#ten_1".into()));
        assert_eq!(item["SK"], AttributeValue::S("THING#1".into()));
        assert_eq!(item["entity"], AttributeValue::S("thing".into()));
        assert_eq!(item["GSI1PK"], AttributeValue::S("G#1".into()));
        assert_eq!(item["ttl"], AttributeValue::N("42".into()));
        assert_eq!(item["displayName"], AttributeValue::S("x".into()));
        assert!(
            !item.contains_key("expires"),
            "key parts stay out of the attributes"
        );
        let lasting = Thing {
            expires: None,
            ..thing
        };
        assert!(!lasting.to_item().unwrap().contains_key("ttl"));
    }
}
