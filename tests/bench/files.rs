//! `make bench`, part two: what parsing a large but legal file costs in memory and time. Each
//! file is parsed twice, each time in a process started from this small orchestrator (so no peak
//! of another process is inherited): once by the parser alone (the child the file processor
//! starts, stdin to stdout), once as the file processor does it (the child under its limits,
//! feeding the parent's `Output`: rows and text to disk, a preview kept), whose own peak is the
//! parent's. Figures, not assertions.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use file_processor::{fixtures, isolate, sink};
use serde_json::{Value, json};

/// CPU seconds a parse may take here: debug builds are slower than the Lambda's release build.
const CPU_SECONDS: u64 = 600;

/// Runs `cmd` to the end and returns its stdout, peak RSS in MB and wall time.
// Reaped by wait4, which also gives this one child's rusage (Child::wait would not).
#[allow(clippy::zombie_processes)]
fn run_measured(mut cmd: Command) -> (Vec<u8>, f64, Duration) {
    let started = Instant::now();
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start");
    let pid = child.id() as libc::pid_t;
    let mut stdout = Vec::new();
    if let Some(mut out) = child.stdout {
        let _ = std::io::Read::read_to_end(&mut out, &mut stdout);
    }
    let mut status = 0;
    // SAFETY: wait4 on our own child; it fills the zeroed rusage we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    (stdout, usage.ru_maxrss as f64 / 1024.0, started.elapsed())
}

/// In a measuring process: parse one file as the file processor does, print one JSON line.
fn measure(kind: &str, path: &Path) {
    let bytes = std::fs::read(path).expect("read the file");
    let exe = std::env::current_exe().expect("own path");
    let limits = isolate::Limits {
        cpu_seconds: CPU_SECONDS,
        wall: Duration::from_secs(CPU_SECONDS + 30),
        ..Default::default()
    };
    let mut output = sink::Output::new(&std::env::temp_dir()).expect("scratch directory");
    let outcome = isolate::run(&exe, kind, &bytes, limits, &mut output)
        .and_then(|summary| output.finish(summary));
    let line = match outcome {
        Ok(written) => {
            let rows = std::fs::read(&written.rows)
                .map(|r| r.iter().filter(|b| **b == b'\n').count())
                .unwrap_or(0);
            json!({"rows": rows, "stored": std::fs::metadata(&written.rows).map(|m| m.len()).unwrap_or(0) + written.text_chars})
        }
        Err(e) => json!({"error": e.0}),
    };
    println!("{line}");
}

fn csv_of_tiny_cells(target: usize) -> Vec<u8> {
    let row = format!("{}\n", vec!["a"; 500].join(","));
    let header = format!(
        "{}\n",
        (0..500)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut out = header.into_bytes();
    while out.len() + row.len() <= target {
        out.extend_from_slice(row.as_bytes());
    }
    out
}

fn json_array(target: usize) -> Vec<u8> {
    let mut out = b"[".to_vec();
    let mut i = 0u64;
    while out.len() < target {
        if i > 0 {
            out.push(b',');
        }
        let item = json!({"name": format!("Person {i}"), "email": format!("p{i}@example.com"), "age": i % 90, "active": i.is_multiple_of(2)});
        out.extend_from_slice(item.to_string().as_bytes());
        i += 1;
    }
    out.push(b']');
    out
}

/// A workbook of numbers, 200 columns wide, whose sheet unzips to about `unzipped` bytes.
fn workbook(unzipped: usize) -> (Vec<u8>, usize) {
    const COLUMNS: u32 = 200;
    let rows = (unzipped / (COLUMNS as usize * 27)) as u32;
    let mut cells = Vec::with_capacity((rows * COLUMNS) as usize);
    for r in 1..=rows {
        for c in 0..COLUMNS {
            cells.push((
                r,
                c,
                if r == 1 {
                    Value::from(format!("c{c}"))
                } else {
                    Value::from((r * 7 + c) % 1000)
                },
            ));
        }
    }
    (fixtures::xlsx_cells(&cells), (rows * COLUMNS) as usize)
}

/// Writes the files; prints `[kind, label, path]` per file.
fn generate(dir: &Path) {
    std::fs::create_dir_all(dir).expect("temp dir");
    let mb = |n: usize| n as f64 / (1 << 20) as f64;
    let mut cases = Vec::new();
    let mut add = |kind: &str, name: &str, label: String, bytes: Vec<u8>| {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).expect("write");
        cases.push(json!([
            kind,
            format!("{label} ({:.1} MB)", mb(bytes.len())),
            path
        ]));
    };
    let max = files_core::MAX_UPLOAD_BYTES as usize - 1024;
    add(
        "csv",
        "tiny.csv",
        "CSV, 500 one-character cells a row".into(),
        csv_of_tiny_cells(max),
    );
    add(
        "json",
        "array.json",
        "JSON array of objects".into(),
        json_array(max),
    );
    let (xlsx, cells) = workbook(280 << 20);
    add(
        "xlsx",
        "wide.xlsx",
        format!("XLSX, {:.1}M numbers, ~280 MB unzipped", cells as f64 / 1e6),
        xlsx,
    );
    println!("{}", Value::from(cases));
}

fn main() {
    isolate::child_main_if_requested();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--measure") => return measure(&args[1], Path::new(&args[2])),
        Some("--generate") => return generate(Path::new(&args[1])),
        _ => {}
    }
    let exe = std::env::current_exe().expect("own path");
    let dir = std::env::temp_dir().join(format!("pyairtable-bench-files-{}", std::process::id()));
    let (listing, _, _) = run_measured({
        let mut c = Command::new(&exe);
        c.arg("--generate").arg(&dir);
        c
    });
    let cases: Vec<(String, String, String)> =
        serde_json::from_slice(&listing).expect("generated files");
    println!();
    println!("Parsing large legal files (debug build; peak RSS of each process)");
    println!(
        "{:<52} {:>10} {:>11} {:>10} {:>12} {:>11}",
        "", "parser s", "parser MB", "rows", "pipeline s", "parent MB"
    );
    for (kind, label, path) in &cases {
        let (_, parser_mb, parser_time) = run_measured({
            let mut c = Command::new(&exe);
            c.arg(isolate::CHILD_ARG)
                .arg(kind)
                .stdin(File::open(path).expect("open"));
            c
        });
        let (out, parent_mb, pipeline_time) = run_measured({
            let mut c = Command::new(&exe);
            c.arg("--measure").arg(kind).arg(path);
            c
        });
        let line: Value = serde_json::from_slice(&out)
            .unwrap_or_else(|_| json!({"error": "the measuring process failed"}));
        match line["error"].as_str() {
            Some(error) => println!("{label:<52} refused: {error}"),
            None => println!(
                "{label:<52} {:>10.1} {:>11.0} {:>10} {:>12.1} {:>11.0}",
                parser_time.as_secs_f64(),
                parser_mb,
                line["rows"].as_u64().unwrap_or(0),
                pipeline_time.as_secs_f64(),
                parent_mb,
            ),
        }
    }
    println!(
        "the parent holds the file's bytes twice (read, and fed to the parser); the parser's limit is 1,024 MB of address space (640 MB in AWS)"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
