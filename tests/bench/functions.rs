//! (d) Every function's real `bootstrap` (this build, this machine's architecture) under a
//! Lambda Runtime API, its AWS calls through a timing proxy in front of the emulator: time from
//! exec to its first answer (init and first invoke), its own and the emulator's, and its memory
//! after 1,000 and 2,000 invocations of its `events/` fixture. (e) What Lambda receives: each
//! bootstrap zipped — the arm64 ones `make package` built when there are, else this build's.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tests::Stack;
use tests::lambda::{
    FUNCTIONS, Function, Runtime, TimedProxy, binaries_dir, fixture, repeated_fixture,
};

use crate::{Row, Section};

const FIRST_ANSWER_TARGET_MS: f64 = 50.0;
const RSS_TARGET_MIB: f64 = 32.0;
const ZIP_TARGET_MIB: f64 = 6.0;
/// Growth between 1,000 and 2,000 invocations past which a function is flagged as leaking.
const LEAK_KIB: u64 = 1024;
/// Cold starts per function; the median is reported.
const COLD_STARTS: usize = 5;

pub async fn run(stack: &Stack) -> (Section, Section) {
    let dir = binaries_dir();
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    let proxy = TimedProxy::start(&stack.aws_endpoint).await;
    let mut env = stack.env.clone();
    env.insert("AWS_ENDPOINT_URL".into(), proxy.url());
    // `BENCH_INVOCATIONS=n` watches memory after n and 2n invocations (1,000 and 2,000 unless
    // set; a shorter watch for a quick look at cold starts).
    let invocations: usize = std::env::var("BENCH_INVOCATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(1000);
    for (bin, event) in FUNCTIONS {
        let bootstrap = dir.join(bin);
        if !bootstrap.exists() {
            rows.push(
                Row::new(format!("`{bin}`: first answer"), "not measured")
                    .target(format!("≤ {FIRST_ANSWER_TARGET_MS} ms"), None),
            );
            notes.push(format!(
                "(d) {} is missing (`make bench` builds it).",
                bootstrap.display()
            ));
            continue;
        }
        eprintln!("bench (d): {bin}…");
        let event = fixture(repeated_fixture(bin, event));
        // Several cold starts, each a new process and a new Runtime API: the median is the
        // figure (a single start on a shared machine is noise as much as signal).
        let mut starts = Vec::new();
        let mut failure = None;
        let mut kept = None;
        for n in 1..=COLD_STARTS {
            let runtime = Runtime::start(bin).await;
            let function = Function::spawn(&bootstrap, bin, &runtime, &env);
            let first = runtime.invoke(&event, Duration::from_secs(60)).await;
            let Ok(first) = first else {
                let why = first.err().unwrap_or_default();
                failure = Some((why, function.stop().await));
                break;
            };
            let total = first.at.duration_since(function.started);
            let waited = proxy.busy(function.started, first.at);
            let since_exec =
                |at: Option<std::time::Instant>| at.map(|at| at.duration_since(function.started));
            // `main`'s own set-up (configuration, clients, state) ends when it registers its
            // shutdown extension (the HTTP functions; the queue consumers write their counters
            // before answering and register none); the runtime's first poll ends the init.
            let setup = since_exec(runtime.registered());
            let init = since_exec(runtime.first_poll()).unwrap_or_default();
            starts.push((total.saturating_sub(waited), waited, setup, init, total));
            if n == COLD_STARTS {
                kept = Some((runtime, function));
            } else {
                let _ = function.stop().await;
            }
        }
        let Some((runtime, function)) = kept else {
            let (why, stderr) = failure.unwrap_or_default();
            rows.push(
                Row::new(format!("`{bin}`: first answer"), format!("failed: {why}"))
                    .target(format!("≤ {FIRST_ANSWER_TARGET_MS} ms"), Some(false)),
            );
            notes.push(format!(
                "(d) {bin}: {}",
                stderr.lines().take(3).collect::<Vec<_>>().join(" ")
            ));
            continue;
        };
        // The first start after a build has been the slowest of the five in every run: shown apart.
        let first_own = starts[0].0;
        starts.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let (own, waited, setup, init, total) = starts[starts.len() / 2];
        let own_ms = ms(own);
        rows.push(
            Row::new(
                format!("`{bin}`: first answer, our time (emulator's)"),
                format!(
                    "{own_ms:.1} ms ({:.1} ms waiting on the emulator; {}init {:.1} ms of {:.1} ms in all); median of {COLD_STARTS} starts, {:.1}–{:.1} ms (the first {:.1} ms)",
                    ms(waited),
                    setup
                        .map(|d| format!("`main`'s set-up {:.1} ms, ", ms(d)))
                        .unwrap_or_default(),
                    ms(init),
                    ms(total),
                    ms(starts[0].0),
                    ms(starts[starts.len() - 1].0),
                    ms(first_own),
                ),
            )
            .target(format!("≤ {FIRST_ANSWER_TARGET_MS} ms"), Some(own_ms <= FIRST_ANSWER_TARGET_MS)),
        );
        let mut rss = Vec::new();
        let mut failed = 0;
        for i in 1..=2 * invocations {
            if runtime
                .invoke(&event, Duration::from_secs(30))
                .await
                .is_err()
            {
                failed += 1;
            }
            if i == invocations || i == 2 * invocations {
                rss.push(function.rss_kib().unwrap_or(0));
            }
        }
        let _ = function.stop().await;
        let (r1, r2) = (rss[0], rss[1]);
        let leak = r2 > r1 + LEAK_KIB;
        rows.push(
            Row::new(
                format!(
                    "`{bin}`: RSS after {invocations} / {} invocations",
                    2 * invocations
                ),
                format!(
                    "{:.1} / {:.1} MiB{}{}",
                    r1 as f64 / 1024.0,
                    r2 as f64 / 1024.0,
                    if leak { " — grows: a leak?" } else { "" },
                    if failed > 0 {
                        format!(" ({failed} invocations failed)")
                    } else {
                        String::new()
                    }
                ),
            )
            .target(
                format!("≤ {RSS_TARGET_MIB} MiB, flat"),
                Some((r2 as f64 / 1024.0) <= RSS_TARGET_MIB && !leak),
            ),
        );
    }
    notes.push(format!(
        "(d) each bootstrap runs with the local stack's environment; its AWS calls go through a proxy in front of the emulator, whose time in flight is the emulator's share (moto answers in milliseconds of Python where DynamoDB answers in a few). The fixtures carry no credentials, so each answer is the function's own 401/404/batch answer — its whole `main`, from configuration to the runtime's response, without a tenant's data. {} AWS calls were proxied in all.",
        proxy.count()
    ));
    let cold = Section {
        title: "(d) cold start and memory of each function's real bootstrap",
        rows,
        notes,
    };
    (cold, sizes(&dir))
}

/// (e) Each bootstrap zipped, as Lambda receives it.
fn sizes(dir: &Path) -> Section {
    let sam = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.aws-sam/build");
    let packaged: Vec<(String, PathBuf)> = std::fs::read_dir(&sam)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                e.path().join("bootstrap"),
            )
        })
        .filter(|(_, p)| p.exists())
        .collect();
    let (label, files): (String, Vec<(String, PathBuf)>) = if packaged.is_empty() {
        let profile = if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        };
        (
            format!(
                "this machine's {profile} build ({}; `make package` builds the arm64 ones Lambda runs)",
                std::env::consts::ARCH
            ),
            FUNCTIONS
                .iter()
                .map(|(bin, _)| (bin.to_string(), dir.join(bin)))
                .filter(|(_, p)| p.exists())
                .collect(),
        )
    } else {
        (
            "the arm64 bootstraps of `make package` (.aws-sam/build)".into(),
            packaged,
        )
    };
    let mut rows = Vec::new();
    for (name, path) in files {
        let raw = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let zipped = zipped_size(&path).unwrap_or(0);
        let mib = |b: u64| b as f64 / 1024.0 / 1024.0;
        rows.push(
            Row::new(
                format!("`{name}` zipped (unzipped)"),
                format!("{:.1} MiB ({:.1} MiB)", mib(zipped), mib(raw)),
            )
            .target(
                format!("≤ {ZIP_TARGET_MIB} MiB"),
                Some(mib(zipped) <= ZIP_TARGET_MIB),
            ),
        );
    }
    Section {
        title: "(e) shipped size",
        rows,
        notes: vec![format!("(e) measured on {label}.")],
    }
}

/// The size of a zip holding the file as `bootstrap` (deflate, as `sam build` zips it).
fn zipped_size(path: &Path) -> std::io::Result<u64> {
    let bytes = std::fs::read(path)?;
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut out);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(0o755);
        zip.start_file("bootstrap", options)
            .map_err(std::io::Error::other)?;
        zip.write_all(&bytes)?;
        zip.finish().map_err(std::io::Error::other)?;
    }
    Ok(out.into_inner().len() as u64)
}
