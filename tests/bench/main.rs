//! `make bench`: what the platform costs and how it compares, from a release build, as one
//! table (printed, and written to `docs/benchmarks.md` with the date and the machine):
//!
//! - (a) importing 2,000 records through the API against the sandbox Airtable's real limits, and
//!   the same import with pyairtable and with airtable.js straight to the sandbox;
//! - (b) a cached page against the same page straight from Airtable at 150 ms of latency;
//! - (c) per request at 50 concurrent clients, for the hot routes: our CPU, our `app` time from
//!   `Server-Timing`, the DynamoDB calls and how many of them were sequential;
//! - (d) every function's real `bootstrap` under a Lambda Runtime API: time to its first answer
//!   (its own, and the emulator's), and its memory after 1,000 and 2,000 invocations;
//! - (e) the size of every function as Lambda receives it (zipped).
//!
//! A benchmark, not a test: it asserts nothing and prints figures. `bench load <spec>` is the
//! load generator of (c), run as a child process so its CPU is not counted as ours.

mod functions;
mod import;
mod reads;

use std::fmt::Write as _;

/// One line of the table.
pub struct Row {
    pub figure: String,
    pub measured: String,
    pub target: String,
    /// A peer (pyairtable, airtable.js, Airtable itself) or the figure before a change.
    pub beside: String,
    /// `met`, `missed` or empty (no target).
    pub verdict: &'static str,
}

impl Row {
    pub fn new(figure: impl Into<String>, measured: impl Into<String>) -> Row {
        Row {
            figure: figure.into(),
            measured: measured.into(),
            target: String::new(),
            beside: String::new(),
            verdict: "",
        }
    }

    pub fn target(mut self, target: impl Into<String>, met: Option<bool>) -> Row {
        self.target = target.into();
        self.verdict = match met {
            Some(true) => "met",
            Some(false) => "missed",
            None => "not measured",
        };
        self
    }

    pub fn beside(mut self, beside: impl Into<String>) -> Row {
        self.beside = beside.into();
        self
    }
}

/// A section of the table: its heading and rows, and notes printed under the table.
pub struct Section {
    pub title: &'static str,
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
}

fn main() {
    platform::outbound::install_tls_provider();
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("load") {
        reads::load_child(args.get(2).map(String::as_str).unwrap_or("{}"));
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(run());
}

async fn run() {
    // Logs as a function writes them in Lambda (JSON, `info`), formatted but thrown away: their
    // cost is ours, and the suite's debug-level capture is not.
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .with_current_span(true)
        .with_writer(std::io::sink)
        .try_init();
    let stack = tests::stack_with(local::sandbox::SandboxConfig {
        penalty: std::time::Duration::from_secs(30),
        ..Default::default()
    });
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    eprintln!("bench: the local stack ({profile} build) is up; measuring…");
    // `BENCH_SECTIONS=cd` runs some sections only (and then leaves docs/benchmarks.md alone).
    let only = std::env::var("BENCH_SECTIONS")
        .ok()
        .filter(|s| !s.is_empty());
    let wanted = |s: char| only.as_deref().is_none_or(|o| o.contains(s));
    let mut sections = Vec::new();
    if wanted('a') {
        sections.push(import::run(stack).await);
    }
    if wanted('b') || wanted('c') {
        let (cached, per_request) = reads::run(stack).await;
        sections.push(cached);
        sections.push(per_request);
    }
    if wanted('d') || wanted('e') {
        let (cold, size) = functions::run(stack).await;
        sections.push(cold);
        sections.push(size);
    }

    let table = render(&sections, profile);
    println!("{table}");
    if only.is_some() {
        return;
    }
    let doc = format!(
        "# Benchmarks\n\n\
         Written by `make bench` on {date}.\n\n\
         Machine: {machine}. Re-create them with `make bench` (its first release build takes a\n\
         while on two cores).\n\n\
         The local stack runs in one process, built in {profile} mode, with the AWS emulator (moto,\n\
         Python) and the sandbox Airtable on the same machine: wall-clock latencies are bound by\n\
         the emulator and are printed, not targeted. Our own cost is our CPU time per request and\n\
         the `app` time of `Server-Timing` (the request's time less every moment it waited on a\n\
         dependency).\n\n{table}",
        date = now_utc(),
        machine = machine(),
    );
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/benchmarks.md");
    match std::fs::write(path, doc) {
        Ok(()) => eprintln!("bench: written to docs/benchmarks.md"),
        Err(e) => eprintln!("bench: could not write docs/benchmarks.md: {e}"),
    }
}

fn render(sections: &[Section], profile: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| figure ({profile} build) | measured | target | beside it | verdict |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    for s in sections {
        let _ = writeln!(out, "| **{}** | | | | |", s.title);
        for r in &s.rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                r.figure, r.measured, r.target, r.beside, r.verdict
            );
        }
    }
    let notes: Vec<&String> = sections.iter().flat_map(|s| &s.notes).collect();
    if !notes.is_empty() {
        let _ = writeln!(out);
        for n in notes {
            let _ = writeln!(out, "- {n}");
        }
    }
    out
}

fn now_utc() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// CPU model, cores and memory of this machine.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).trim().to_owned())
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map(|kib| kib / 1024.0 / 1024.0)
        .unwrap_or(0.0);
    format!(
        "{model}, {cores} cores, {mem_gib:.0} GiB, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// Percentile `p` (0–100) of `values` (sorted here).
pub fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * (values.len() as f64 - 1.0)).round() as usize;
    values[rank.min(values.len() - 1)]
}
