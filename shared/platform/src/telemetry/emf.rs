//! CloudWatch Embedded Metric Format: metrics as structured log lines that CloudWatch Logs turns
//! into metrics, so publishing them costs no API call and no latency.
//!
//! A [`Batch`] gathers what one request or message measured; [`Batch::lines`] turns it into as
//! few JSON documents as EMF allows (one in the usual case: EMF carries one value per dimension
//! name per document, so a batch that touched two bases needs two). Dimensions are kept
//! low-cardinality on purpose — function, route template, status class, base, model, tool,
//! outcome — never a tenant, user or record id.
//!
//! Every flushed batch is also added to a process-wide [`ops`] aggregate, which the local stack
//! serves at `GET /api/v1/ops/metrics` (in the cloud each instance sees only itself, so there the
//! CloudWatch dashboard is the place to look).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{Map, Value, json};

/// The unit of a metric, as CloudWatch names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Milliseconds,
    Count,
    /// Money (USD) and other plain numbers.
    None,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Milliseconds => "Milliseconds",
            Unit::Count => "Count",
            Unit::None => "None",
        }
    }

    /// Counts add up within a batch; timings stay separate samples.
    fn sums(self) -> bool {
        !matches!(self, Unit::Milliseconds)
    }
}

/// What a metric is about: fixes its dimension keys and the dimension sets published for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// `Requests`, `Latency`, `Errors5xx`, `Errors4xx` by `Route` and `StatusClass`.
    Http,
    /// `AirtableRequests`, `AirtableLatency`, `AirtableThrottled`, `LimiterWait` by `Base`.
    Airtable,
    /// `CacheHits`, `CacheMisses`.
    Cache,
    /// `LlmCalls`, `LlmInputTokens`, `LlmOutputTokens`, `LlmCostUsd` by `Model`.
    Llm,
    /// `ToolCalls`, `ToolErrors` by `Tool` (and the front door: the function).
    Tool,
    /// `SagaOutcomes` by `SagaType` and `Outcome`.
    Saga,
    /// `WorkflowRuns` by `Outcome`.
    Workflow,
    /// `FilesProcessed` by `Outcome`.
    File,
    /// `QueueMessageAge` (time from send to handling) by consuming function.
    Queue,
    /// `ColdStarts`: the first flush of a process (a new Lambda instance).
    Lambda,
}

impl Family {
    /// The dimension sets CloudWatch gets for this family. `[]` is the all-up figure the
    /// alarms watch. Every key named here must be among the entry's dimensions (or `Function`).
    pub fn dimension_sets(self) -> &'static [&'static [&'static str]] {
        match self {
            Family::Http => &[&["Function"], &["Function", "Route", "StatusClass"], &[]],
            Family::Airtable => &[&["Base"], &[]],
            Family::Cache => &[&["Function"], &[]],
            Family::Llm => &[&["Model"], &[]],
            Family::Tool => &[&["Function", "Tool"], &["Function"]],
            Family::Saga => &[&["SagaType", "Outcome"], &["Outcome"]],
            Family::Workflow => &[&["Outcome"]],
            Family::File => &[&["Outcome"]],
            Family::Queue => &[&["Function"]],
            Family::Lambda => &[&["Function"], &[]],
        }
    }
}

/// Every metric name the platform emits (the dashboard and the alarms may name only these; a
/// test of the template checks it).
pub const METRIC_NAMES: &[&str] = &[
    "Requests",
    "Latency",
    "Errors5xx",
    "Errors4xx",
    "AirtableRequests",
    "AirtableLatency",
    "AirtableThrottled",
    "LimiterWait",
    "CacheHits",
    "CacheMisses",
    "LlmCalls",
    "LlmInputTokens",
    "LlmOutputTokens",
    "LlmCostUsd",
    "ToolCalls",
    "ToolErrors",
    "SagaOutcomes",
    "WorkflowRuns",
    "FilesProcessed",
    "QueueMessageAge",
    "ColdStarts",
];

/// EMF allows at most 100 values per metric in one document.
const MAX_VALUES: usize = 100;

#[derive(Debug, Clone)]
struct Entry {
    family: Family,
    dims: Vec<(&'static str, String)>,
    name: &'static str,
    unit: Unit,
    values: Vec<f64>,
}

/// The metrics of one request or message.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    entries: Vec<Entry>,
}

impl Batch {
    /// Adds one value. Counts with the same name and dimensions are summed; timings are kept
    /// as samples.
    pub fn add(
        &mut self,
        family: Family,
        dims: &[(&'static str, &str)],
        name: &'static str,
        unit: Unit,
        value: f64,
    ) {
        debug_assert!(
            METRIC_NAMES.contains(&name),
            "{name} is not in METRIC_NAMES"
        );
        let same = |e: &&mut Entry| {
            e.family == family
                && e.name == name
                && e.dims.len() == dims.len()
                && e.dims
                    .iter()
                    .zip(dims)
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && v1 == v2)
                && (unit.sums() || e.values.len() < MAX_VALUES)
        };
        if let Some(e) = self.entries.iter_mut().rev().find(same) {
            if unit.sums() {
                e.values[0] += value;
            } else {
                e.values.push(value);
            }
            return;
        }
        let dims = dims.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        self.entries.push(Entry {
            family,
            dims,
            name,
            unit,
            values: vec![value],
        });
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The batch as EMF documents (one JSON object per line), every one carrying `Function`.
    pub fn lines(
        &self,
        namespace: &str,
        function: &str,
        timestamp_ms: i64,
        extra: &[(&str, &str)],
    ) -> Vec<String> {
        struct Doc {
            root: Map<String, Value>,
            directives: BTreeMap<Family, Vec<(&'static str, Unit)>>,
        }
        let mut docs: Vec<Doc> = Vec::new();
        for e in &self.entries {
            let dims: Vec<(&str, &str)> = std::iter::once(("Function", function))
                .chain(e.dims.iter().map(|(k, v)| (*k, v.as_str())))
                .collect();
            let fits = |d: &Doc| {
                !d.root.contains_key(e.name)
                    && dims
                        .iter()
                        .all(|(k, v)| d.root.get(*k).is_none_or(|have| have.as_str() == Some(*v)))
            };
            let doc = match docs.iter().position(fits) {
                Some(i) => &mut docs[i],
                None => {
                    let mut root = Map::new();
                    for (k, v) in extra {
                        root.insert((*k).to_owned(), json!(v));
                    }
                    docs.push(Doc {
                        root,
                        directives: BTreeMap::new(),
                    });
                    docs.last_mut().expect("just pushed")
                }
            };
            for (k, v) in &dims {
                doc.root.insert((*k).to_owned(), json!(v));
            }
            let value = if e.unit.sums() || e.values.len() == 1 {
                json!(e.values[0])
            } else {
                json!(e.values)
            };
            doc.root.insert(e.name.to_owned(), value);
            doc.directives
                .entry(e.family)
                .or_default()
                .push((e.name, e.unit));
        }
        docs.into_iter()
            .map(|mut d| {
                let directives: Vec<Value> = d
                    .directives
                    .iter()
                    .map(|(family, metrics)| {
                        json!({
                            "Namespace": namespace,
                            "Dimensions": family.dimension_sets(),
                            "Metrics": metrics.iter().map(|(n, u)| json!({"Name": n, "Unit": u.as_str()})).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                d.root.insert("_aws".into(), json!({"Timestamp": timestamp_ms, "CloudWatchMetrics": directives}));
                Value::Object(d.root).to_string()
            })
            .collect()
    }

    /// Adds the batch to the process-wide aggregate.
    pub fn aggregate(&self, function: &str) {
        ops::add(self, function);
    }
}

type Sink = Box<dyn Fn(&str) + Send + Sync>;
static SINK: OnceLock<Sink> = OnceLock::new();

/// Sends EMF lines somewhere other than stdout (the black-box suite keeps them with the logs it
/// reads). The first call wins; returns whether this one did.
pub fn set_sink(sink: impl Fn(&str) + Send + Sync + 'static) -> bool {
    SINK.set(Box::new(sink)).is_ok()
}

/// Writes one EMF line: to stdout, where the Lambda runtime hands it to CloudWatch Logs.
pub fn write_line(line: &str) {
    match SINK.get() {
        Some(sink) => sink(line),
        // Metrics are for CloudWatch; a person at a terminal reads the request lines (and
        // `GET /api/v1/ops/metrics` still aggregates every metric).
        None if super::text_logs() => {}
        // `println!` (not a raw handle) so that test harnesses capture it too.
        None => println!("{line}"),
    }
}

/// The process-wide aggregate of every flushed batch (what `GET /api/v1/ops/metrics` shows).
pub mod ops {
    use std::collections::{BTreeMap, VecDeque};
    use std::sync::Mutex;

    use serde::Serialize;

    use super::{Batch, Unit};

    /// Series kept at most (dimensions are low-cardinality, so this is a safety net).
    const MAX_SERIES: usize = 2000;
    /// Recent samples kept per series for percentiles.
    const MAX_SAMPLES: usize = 512;

    struct Series {
        unit: Unit,
        count: u64,
        sum: f64,
        min: f64,
        max: f64,
        samples: VecDeque<f64>,
    }

    type SeriesKey = (&'static str, BTreeMap<&'static str, String>);
    static SERIES: Mutex<BTreeMap<SeriesKey, Series>> = Mutex::new(BTreeMap::new());

    pub(super) fn add(batch: &Batch, function: &str) {
        let mut all = SERIES.lock().unwrap_or_else(|p| p.into_inner());
        for e in &batch.entries {
            let mut dims: BTreeMap<&'static str, String> =
                e.dims.iter().map(|(k, v)| (*k, v.clone())).collect();
            dims.insert("Function", function.to_owned());
            let key = (e.name, dims);
            if !all.contains_key(&key) && all.len() >= MAX_SERIES {
                continue;
            }
            let s = all.entry(key).or_insert_with(|| Series {
                unit: e.unit,
                count: 0,
                sum: 0.0,
                min: f64::INFINITY,
                max: f64::NEG_INFINITY,
                samples: VecDeque::new(),
            });
            for v in &e.values {
                // A summed count is one observation of its size; a timing is one per sample.
                s.count += 1;
                s.sum += v;
                s.min = s.min.min(*v);
                s.max = s.max.max(*v);
                if !e.unit.sums() {
                    if s.samples.len() == MAX_SAMPLES {
                        s.samples.pop_front();
                    }
                    s.samples.push_back(*v);
                }
            }
        }
    }

    /// One series as shown to an operator.
    #[derive(Debug, Clone, Serialize, PartialEq)]
    #[serde(rename_all = "camelCase")]
    pub struct SeriesView {
        pub name: &'static str,
        pub unit: &'static str,
        pub dimensions: BTreeMap<&'static str, String>,
        /// Observations (timings) or flushes that reported the count.
        pub count: u64,
        pub sum: f64,
        pub min: f64,
        pub max: f64,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub p50: Option<f64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub p95: Option<f64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub p99: Option<f64>,
    }

    /// Nearest-rank percentile of sorted samples.
    pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
        if sorted.is_empty() {
            return None;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
        Some(sorted[rank.min(sorted.len()) - 1])
    }

    /// Every series whose name starts with `prefix`, by name then dimensions.
    pub fn snapshot(prefix: &str) -> Vec<SeriesView> {
        let all = SERIES.lock().unwrap_or_else(|p| p.into_inner());
        all.iter()
            .filter(|((name, _), _)| name.starts_with(prefix))
            .map(|((name, dims), s)| {
                let mut sorted: Vec<f64> = s.samples.iter().copied().collect();
                sorted.sort_by(f64::total_cmp);
                SeriesView {
                    name,
                    unit: s.unit.as_str(),
                    dimensions: dims.clone(),
                    count: s.count,
                    sum: s.sum,
                    min: s.min,
                    max: s.max,
                    p50: percentile(&sorted, 50.0),
                    p95: percentile(&sorted, 95.0),
                    p99: percentile(&sorted, 99.0),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Value {
        serde_json::from_str(line).expect("EMF lines are JSON")
    }

    #[test]
    fn one_request_is_one_document_with_every_metric_referenced_by_a_directive() {
        let mut b = Batch::default();
        b.add(
            Family::Http,
            &[("Route", "/api/v1/records"), ("StatusClass", "2xx")],
            "Latency",
            Unit::Milliseconds,
            12.0,
        );
        b.add(
            Family::Http,
            &[("Route", "/api/v1/records"), ("StatusClass", "2xx")],
            "Requests",
            Unit::Count,
            1.0,
        );
        b.add(
            Family::Airtable,
            &[("Base", "appA")],
            "AirtableRequests",
            Unit::Count,
            1.0,
        );
        b.add(
            Family::Airtable,
            &[("Base", "appA")],
            "AirtableRequests",
            Unit::Count,
            1.0,
        );
        b.add(
            Family::Airtable,
            &[("Base", "appA")],
            "AirtableLatency",
            Unit::Milliseconds,
            80.0,
        );
        b.add(
            Family::Airtable,
            &[("Base", "appA")],
            "AirtableLatency",
            Unit::Milliseconds,
            90.0,
        );
        let lines = b.lines("PyAirtable/test", "airtable", 1_700_000_000_000, &[]);
        assert_eq!(lines.len(), 1);
        let doc = parse(&lines[0]);
        assert_eq!(doc["Function"], "airtable");
        assert_eq!(doc["Route"], "/api/v1/records");
        assert_eq!(doc["Base"], "appA");
        assert_eq!(doc["AirtableRequests"], 2.0);
        assert_eq!(doc["AirtableLatency"], json!([80.0, 90.0]));
        assert_eq!(doc["Latency"], 12.0);
        let directives = doc["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(doc["_aws"]["Timestamp"], 1_700_000_000_000i64);
        for d in directives {
            assert_eq!(d["Namespace"], "PyAirtable/test");
            for set in d["Dimensions"].as_array().unwrap() {
                for key in set.as_array().unwrap() {
                    assert!(
                        doc.get(key.as_str().unwrap()).is_some(),
                        "dimension {key} is at the root"
                    );
                }
            }
            for m in d["Metrics"].as_array().unwrap() {
                assert!(doc.get(m["Name"].as_str().unwrap()).is_some());
            }
        }
        let names: Vec<&str> = directives
            .iter()
            .flat_map(|d| d["Metrics"].as_array().unwrap())
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(names.len(), 4);
    }

    #[test]
    fn two_bases_need_two_documents_since_a_dimension_has_one_value_per_document() {
        let mut b = Batch::default();
        b.add(
            Family::Airtable,
            &[("Base", "appA")],
            "AirtableRequests",
            Unit::Count,
            1.0,
        );
        b.add(
            Family::Airtable,
            &[("Base", "appB")],
            "AirtableRequests",
            Unit::Count,
            3.0,
        );
        let lines = b.lines("ns", "mcp", 0, &[]);
        assert_eq!(lines.len(), 2);
        let bases: Vec<Value> = lines.iter().map(|l| parse(l)["Base"].clone()).collect();
        assert_eq!(bases, vec![json!("appA"), json!("appB")]);
        assert_eq!(parse(&lines[1])["AirtableRequests"], 3.0);
    }

    #[test]
    fn more_than_a_hundred_samples_spill_into_another_document() {
        let mut b = Batch::default();
        for i in 0..150 {
            b.add(
                Family::Airtable,
                &[("Base", "appA")],
                "AirtableLatency",
                Unit::Milliseconds,
                i as f64,
            );
        }
        let lines = b.lines("ns", "f", 0, &[]);
        assert_eq!(lines.len(), 2);
        assert_eq!(
            parse(&lines[0])["AirtableLatency"]
                .as_array()
                .unwrap()
                .len(),
            100
        );
        assert_eq!(
            parse(&lines[1])["AirtableLatency"]
                .as_array()
                .unwrap()
                .len(),
            50
        );
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(ops::percentile(&sorted, 50.0), Some(50.0));
        assert_eq!(ops::percentile(&sorted, 95.0), Some(95.0));
        assert_eq!(ops::percentile(&sorted, 99.0), Some(99.0));
        assert_eq!(ops::percentile(&[7.0], 99.0), Some(7.0));
        assert_eq!(ops::percentile(&[], 50.0), None);
    }

    #[test]
    fn the_aggregate_counts_timings_and_sums_counts() {
        let mut b = Batch::default();
        b.add(
            Family::Llm,
            &[("Model", "unit-test-model")],
            "LlmCostUsd",
            Unit::None,
            0.25,
        );
        b.add(
            Family::Llm,
            &[("Model", "unit-test-model")],
            "LlmCostUsd",
            Unit::None,
            0.5,
        );
        b.add(
            Family::Queue,
            &[],
            "QueueMessageAge",
            Unit::Milliseconds,
            10.0,
        );
        b.add(
            Family::Queue,
            &[],
            "QueueMessageAge",
            Unit::Milliseconds,
            30.0,
        );
        b.aggregate("unit-test-fn");
        let cost = ops::snapshot("LlmCostUsd")
            .into_iter()
            .find(|s| s.dimensions.get("Model").map(String::as_str) == Some("unit-test-model"))
            .unwrap();
        assert_eq!(cost.sum, 0.75);
        let age = ops::snapshot("QueueMessageAge")
            .into_iter()
            .find(|s| s.dimensions["Function"] == "unit-test-fn")
            .unwrap();
        assert_eq!(
            (age.count, age.sum, age.min, age.max, age.p50),
            (2, 40.0, 10.0, 30.0, Some(10.0))
        );
    }
}
