//! Options of a record listing.

use super::*;
use serde::Serialize;

/// Options of a record listing (Airtable's names, typed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListQuery {
    pub filter_by_formula: Option<String>,
    /// Field and descending?
    pub sort: Vec<(String, bool)>,
    pub fields: Vec<String>,
    pub view: Option<String>,
    pub page_size: Option<usize>,
    pub max_records: Option<usize>,
    pub return_fields_by_field_id: bool,
    pub cell_format_string: bool,
    pub time_zone: Option<String>,
    pub user_locale: Option<String>,
}

/// A listing's options as Airtable's `listRecords` body names them: the one serialisation,
/// from which the GET query pairs are derived too.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Wire<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    filter_by_formula: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sort: Vec<SortWire<'a>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    fields: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    view: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    page_size: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_records: Option<usize>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    return_fields_by_field_id: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    cell_format: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_zone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_locale: Option<&'a str>,
}

#[derive(Serialize)]
struct SortWire<'a> {
    field: &'a str,
    direction: &'static str,
}

impl Serialize for ListQuery {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let strings = self.cell_format_string;
        Wire {
            filter_by_formula: self.filter_by_formula.as_deref(),
            sort: self
                .sort
                .iter()
                .map(|(field, desc)| SortWire {
                    field,
                    direction: if *desc { "desc" } else { "asc" },
                })
                .collect(),
            fields: &self.fields,
            view: self.view.as_deref(),
            page_size: self.page_size.map(|p| p.min(MAX_PAGE_SIZE)),
            max_records: self.max_records,
            return_fields_by_field_id: self.return_fields_by_field_id,
            cell_format: strings.then_some("string"),
            time_zone: strings.then(|| self.time_zone.as_deref().unwrap_or("UTC")),
            user_locale: strings.then(|| self.user_locale.as_deref().unwrap_or("en-us")),
        }
        .serialize(serializer)
    }
}

impl ListQuery {
    /// The options as a `listRecords` JSON body.
    pub fn body(&self, offset: Option<&str>) -> Value {
        let mut body = serde_json::to_value(self).unwrap_or_else(|_| json!({}));
        if let Some(o) = offset {
            body["offset"] = json!(o);
        }
        body
    }

    /// The same options as GET query pairs, as Airtable names them: `fields[]` for a list,
    /// `sort[0][field]` for a list of objects.
    pub fn pairs(&self, offset: Option<&str>) -> Vec<(String, String)> {
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut pairs = Vec::new();
        let body = self.body(offset);
        for (key, value) in body.as_object().into_iter().flatten() {
            match value {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        match item.as_object() {
                            Some(object) => pairs.extend(
                                object
                                    .iter()
                                    .map(|(k, v)| (format!("{key}[{i}][{k}]"), text(v))),
                            ),
                            None => pairs.push((format!("{key}[]"), text(item))),
                        }
                    }
                }
                other => pairs.push((key.clone(), text(other))),
            }
        }
        pairs
    }

    pub(super) fn describe(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// One page of records.
#[derive(Debug, Clone)]
pub struct Page {
    pub records: Vec<Value>,
    pub offset: Option<String>,
}

/// One page of records with the records as JSON text (an array), as the cache holds them.
#[derive(Debug, Clone)]
pub struct PageText {
    pub records: Box<serde_json::value::RawValue>,
    pub offset: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_queries_render_as_airtable_names_them() {
        let q = ListQuery {
            filter_by_formula: Some("{A} = 1".into()),
            sort: vec![("Name".into(), true)],
            fields: vec!["A".into(), "B".into()],
            page_size: Some(500),
            ..Default::default()
        };
        let pairs = q.pairs(Some("itr1/rec1"));
        assert!(pairs.contains(&("sort[0][direction]".into(), "desc".into())));
        assert_eq!(pairs.iter().filter(|(k, _)| k == "fields[]").count(), 2);
        assert!(
            pairs.contains(&("pageSize".into(), "100".into())),
            "capped at Airtable's page size"
        );
        assert_eq!(q.body(None)["sort"][0]["direction"], "desc");
        assert_eq!(q.body(None)["pageSize"], 100);
        assert!(pairs.contains(&("offset".into(), "itr1/rec1".into())));
        let strings = ListQuery {
            cell_format_string: true,
            ..Default::default()
        };
        assert_eq!(
            strings.pairs(None),
            [
                ("cellFormat".to_owned(), "string".to_owned()),
                ("timeZone".into(), "UTC".into()),
                ("userLocale".into(), "en-us".into())
            ]
        );
        assert_eq!(ListQuery::default().body(None), json!({}));
    }
}
