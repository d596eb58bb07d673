//! Parsing in a child process, so that no file — crafted or merely unlucky, for a bug we have
//! not found yet — can take anything down but its own parse.
//!
//! The child is this same binary started with [`CHILD_ARG`] (every `main` that may process
//! files calls [`child_main_if_requested`] first). It gets the bytes on stdin, an empty
//! environment (no credentials to leak), and hard limits set before it runs a line of its own
//! code: address space (memory), CPU seconds, no files written, no core dumps; the parent also
//! kills it at a wall-clock deadline and when its own process dies. The child streams what it
//! finds on stdout as tagged JSON lines, which the parent reads with a bounded line length into
//! its [`Sink`]. A stack overflow, an abort, an out-of-memory or a runaway loop ends only the
//! child; the file fails with a readable reason and the parent carries on with the next one.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::extract::{self, Sink, Summary, Unreadable, bad};

/// The first argument that makes a binary a parsing child.
pub const CHILD_ARG: &str = "--pyairtable-extract-file";
/// Longest line the child may send (a row of 500 long cells fits; one cell of 50 MB does not).
const MAX_LINE: usize = 16 << 20;
/// Bytes of the child's stderr kept (to tell a stack overflow from an out-of-memory).
const MAX_STDERR: u64 = 64 << 10;

/// What a parse may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Address space of the child (its heap, stacks and mapped binary).
    pub memory_bytes: u64,
    /// CPU time of the child.
    pub cpu_seconds: u64,
    /// Wall-clock time, waiting included.
    pub wall: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_bytes: 1 << 30,
            cpu_seconds: 60,
            wall: Duration::from_secs(90),
        }
    }
}

/// In a child started by [`run`]: extracts stdin and exits. Anywhere else: returns at once.
/// Call it first in `main`, before any runtime or thread starts.
pub fn child_main_if_requested() {
    let mut args = std::env::args();
    if args.nth(1).as_deref() != Some(CHILD_ARG) {
        return;
    }
    let declared = args.next().unwrap_or_default();
    std::process::exit(child(&declared));
}

/// The child's side of the wire: each call becomes one tagged line.
struct Wire<W: Write> {
    out: W,
}

impl<W: Write> Wire<W> {
    fn send(&mut self, tag: u8, value: &Value) -> Result<(), Unreadable> {
        let mut line = serde_json::to_vec(value).map_err(|_| bad("the file could not be read"))?;
        if line.len() + 2 > MAX_LINE {
            return Err(bad(format!(
                "a row of the file is larger than {} MB",
                MAX_LINE >> 20
            )));
        }
        line.insert(0, tag);
        line.push(b'\n');
        // The parent is gone or gave up: nothing left to do.
        self.out
            .write_all(&line)
            .map_err(|_| bad("the file could not be read"))
    }
}

impl<W: Write> Sink for Wire<W> {
    fn columns(&mut self, names: &[String]) -> Result<(), Unreadable> {
        self.send(b'c', &json!(names))
    }
    fn row(&mut self, cells: Vec<Value>) -> Result<(), Unreadable> {
        self.send(b'r', &Value::Array(cells))
    }
    fn text(&mut self, chunk: &str) -> Result<(), Unreadable> {
        // Large texts go in pieces, each a line well under the limit.
        let mut rest = chunk;
        while !rest.is_empty() {
            let mut cut = rest.len().min(1 << 20);
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            self.send(b't', &json!(&rest[..cut]))?;
            rest = &rest[cut..];
        }
        Ok(())
    }
}

fn child(declared: &str) -> i32 {
    let mut bytes = Vec::new();
    if std::io::stdin()
        .lock()
        .take(files_core::MAX_UPLOAD_BYTES + 1)
        .read_to_end(&mut bytes)
        .is_err()
    {
        return 2;
    }
    let mut wire = Wire {
        out: BufWriter::with_capacity(1 << 16, std::io::stdout().lock()),
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        extract::extract(declared, &bytes, &mut wire)
    }));
    let last = match outcome {
        Ok(Ok(s)) => (b'd', json!({"kind": s.kind, "pages": s.pages})),
        Ok(Err(Unreadable(reason))) => (b'e', json!(reason)),
        Err(_) => (b'e', json!("the file could not be read")),
    };
    if wire.send(last.0, &last.1).is_err() || wire.out.flush().is_err() {
        return 3;
    }
    0
}

/// Sets the child's limits; runs between fork and exec, so only async-signal-safe calls.
fn limit(limits: Limits) -> std::io::Result<()> {
    let set = |resource, soft: u64, hard: u64| {
        let lim = libc::rlimit {
            rlim_cur: soft as libc::rlim_t,
            rlim_max: hard as libc::rlim_t,
        };
        // SAFETY: setrlimit only reads `lim` and changes this (child) process's own limits.
        if unsafe { libc::setrlimit(resource, &lim) } == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    };
    set(libc::RLIMIT_AS, limits.memory_bytes, limits.memory_bytes)?;
    // SIGXCPU at the soft limit, SIGKILL at the hard one.
    set(libc::RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 2)?;
    set(libc::RLIMIT_FSIZE, 0, 0)?;
    set(libc::RLIMIT_CORE, 0, 0)?;
    set(libc::RLIMIT_NOFILE, 16, 16)?;
    // SAFETY: prctl(PR_SET_PDEATHSIG) only affects this process: it dies with its parent.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    Ok(())
}

/// Parses `bytes` (declared as `declared`) in a child process of `exe` under `limits`, feeding
/// what it finds to `sink`. Blocking: call it off the async threads.
pub fn run(
    exe: &Path,
    declared: &str,
    bytes: &[u8],
    limits: Limits,
    sink: &mut dyn Sink,
) -> Result<Summary, Unreadable> {
    let mut cmd = Command::new(exe);
    cmd.arg(CHILD_ARG)
        .arg(declared)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: `limit` makes only async-signal-safe calls (setrlimit, prctl).
    unsafe { cmd.pre_exec(move || limit(limits)) };
    let mut child = cmd.spawn().map_err(|e| {
        tracing::error!(error = %e, exe = %exe.display(), "could not start the file parser");
        bad("the file could not be read right now; upload it again")
    })?;
    let pid = child.id();
    let finished = Arc::new(AtomicBool::new(false));
    let timed_out = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let (finished, timed_out) = (finished.clone(), timed_out.clone());
        std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + limits.wall;
            while std::time::Instant::now() < deadline {
                if finished.load(Ordering::Acquire) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            if !finished.load(Ordering::Acquire) {
                timed_out.store(true, Ordering::Release);
                // SAFETY: kill() on our own child's pid, not yet reaped (we wait only after
                // `finished` is set).
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            }
        })
    };
    let stdin = child.stdin.take();
    let input = bytes.to_vec();
    let feeder = std::thread::spawn(move || {
        if let Some(mut stdin) = stdin {
            // A child that stops reading (it failed early, or was killed) breaks the pipe.
            let _ = stdin.write_all(&input);
        }
    });
    let stderr = child.stderr.take();
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(e) = stderr {
            let _ = e.take(MAX_STDERR).read_to_string(&mut text);
        }
        text
    });
    // The parent holds what it is sent to the same limits as the child: it trusts no child.
    let mut guard = extract::Guard::new(sink);
    let read = child
        .stdout
        .take()
        .map(|out| read_wire(out, &mut guard))
        .unwrap_or(Ok(None));
    if read.is_err() {
        // The parent refused what it was sent (too long a line, a sink that is full): stop it.
        let _ = child.kill();
    }
    let status = child.wait();
    finished.store(true, Ordering::Release);
    let _ = watchdog.join();
    let _ = feeder.join();
    let stderr = errors.join().unwrap_or_default();
    let outcome = read?;
    if let Some(done) = outcome {
        return done;
    }
    let status = status.map_err(|_| bad("the file could not be read"))?;
    let reason = if timed_out.load(Ordering::Acquire) {
        format!(
            "the file took too long to read (more than {} s); it may be crafted to stall readers",
            limits.wall.as_secs()
        )
    } else if status.signal() == Some(libc::SIGXCPU) || status.signal() == Some(libc::SIGKILL) {
        format!(
            "the file took too long to read (more than {} s of work); it may be crafted to stall readers",
            limits.cpu_seconds
        )
    } else if stderr.contains("has overflowed its stack") {
        "the file is nested too deeply to be read; it may be crafted to crash readers".to_owned()
    } else if stderr.contains("memory allocation") || stderr.contains("capacity overflow") {
        format!(
            "the file needs more than {} MB of memory to read",
            limits.memory_bytes >> 20
        )
    } else {
        "the file could not be read (the reader stopped on it)".to_owned()
    };
    tracing::warn!(status = ?status, stderr = %stderr.chars().take(500).collect::<String>(), reason = %reason, "the file parser stopped");
    Err(bad(reason))
}

/// Reads the child's lines into the sink; `Some` once the child said it was done (or why not).
pub fn read_wire(
    out: impl Read,
    sink: &mut dyn Sink,
) -> Result<Option<Result<Summary, Unreadable>>, Unreadable> {
    let mut reader = BufReader::with_capacity(1 << 16, out);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|_| bad("the file could not be read"))?;
        if n == 0 {
            return Ok(None);
        }
        if line.last() != Some(&b'\n') {
            return Err(bad(format!(
                "a row of the file is larger than {} MB",
                MAX_LINE >> 20
            )));
        }
        // A line is a tag and a JSON value: anything shorter is not one.
        if line.len() < 3 {
            return Err(bad("the file could not be read"));
        }
        let (tag, body) = (line[0], &line[1..line.len() - 1]);
        let value: Value =
            serde_json::from_slice(body).map_err(|_| bad("the file could not be read"))?;
        match (tag, value) {
            (b'c', Value::Array(names)) => {
                let names: Vec<String> = names
                    .into_iter()
                    .map(|n| n.as_str().unwrap_or_default().to_owned())
                    .collect();
                sink.columns(&names)?;
            }
            (b'r', Value::Array(cells)) => sink.row(cells)?,
            (b't', Value::String(text)) => sink.text(&text)?,
            (b'd', done) => {
                let kind = KINDS
                    .iter()
                    .find(|k| done["kind"] == **k)
                    .copied()
                    .ok_or_else(|| bad("the file could not be read"))?;
                return Ok(Some(Ok(Summary {
                    kind,
                    pages: done["pages"].as_u64(),
                })));
            }
            (b'e', Value::String(reason)) => return Ok(Some(Err(Unreadable(reason)))),
            _ => return Err(bad("the file could not be read")),
        }
    }
}

const KINDS: [&str; 7] = ["csv", "tsv", "json", "xlsx", "txt", "pdf", "docx"];

#[cfg(test)]
mod tests {
    //! The parent's side, against real child processes: small shell scripts stand in for a
    //! parser that answers, crashes, spins or hangs (the real child runs in the black-box suite).

    use super::*;
    use crate::sink::Collected;

    fn script(name: &str, body: &str) -> std::path::PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path =
            std::env::temp_dir().join(format!("pyat-child-{}-{name}.sh", std::process::id()));
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn limits(cpu: u64, wall: u64) -> Limits {
        Limits {
            memory_bytes: 256 << 20,
            cpu_seconds: cpu,
            wall: Duration::from_secs(wall),
        }
    }

    #[test]
    fn what_the_child_streams_reaches_the_sink_and_its_environment_is_empty() {
        let exe = script(
            "ok",
            r#"read -r _ignored || true
echo 'c["Name","Env"]'
echo "r[\"$2\",\"${HOME:-none}${AWS_SECRET_ACCESS_KEY:-}\"]"
echo 'd{"kind":"csv","pages":null}'"#,
        );
        let mut out = Collected::default();
        let summary = run(&exe, "csv", b"Name\nAda\n", limits(5, 10), &mut out).unwrap();
        assert_eq!(
            summary,
            Summary {
                kind: "csv",
                pages: None
            }
        );
        assert_eq!(out.columns, vec!["Name", "Env"]);
        assert_eq!(
            out.rows,
            vec![vec![json!("csv"), json!("none")]],
            "the declared kind is an argument; no variable is inherited"
        );
    }

    #[test]
    fn a_crash_a_spin_and_a_hang_fail_the_file_with_a_reason() {
        let overflow = script(
            "overflow",
            "echo \"thread 'main' has overflowed its stack\" >&2\nkill -SEGV $$",
        );
        let err = run(
            &overflow,
            "pdf",
            b"%PDF-",
            limits(5, 10),
            &mut Collected::default(),
        )
        .unwrap_err();
        assert!(err.0.contains("nested too deeply"), "{err}");

        let oom = script(
            "oom",
            "echo 'memory allocation of 4294967296 bytes failed' >&2\nkill -ABRT $$",
        );
        let err = run(
            &oom,
            "xlsx",
            b"PK",
            limits(5, 10),
            &mut Collected::default(),
        )
        .unwrap_err();
        assert!(err.0.contains("more than 256 MB of memory"), "{err}");

        let spin = script("spin", "while :; do :; done");
        let err = run(&spin, "csv", b"a", limits(1, 20), &mut Collected::default()).unwrap_err();
        assert!(err.0.contains("took too long"), "{err}");

        let hang = script("hang", "exec /bin/sleep 30");
        let started = std::time::Instant::now();
        let err = run(&hang, "csv", b"a", limits(5, 1), &mut Collected::default()).unwrap_err();
        assert!(err.0.contains("took too long"), "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "killed at the deadline"
        );

        let silent = script("silent", "exit 0");
        let err = run(
            &silent,
            "csv",
            b"a",
            limits(5, 10),
            &mut Collected::default(),
        )
        .unwrap_err();
        assert!(err.0.contains("stopped on it"), "{err}");
    }

    #[test]
    fn a_missing_parser_binary_is_a_failure_not_a_panic() {
        let err = run(
            Path::new("/nonexistent/parser"),
            "csv",
            b"a",
            limits(5, 10),
            &mut Collected::default(),
        )
        .unwrap_err();
        assert!(err.0.contains("upload it again"), "{err}");
    }

    #[test]
    fn the_wire_refuses_unknown_tags_overlong_lines_and_rows_wider_than_the_columns() {
        let mut out = Collected::default();
        let garbage = read_wire(&b"x[1]\n"[..], &mut crate::extract::Guard::new(&mut out));
        assert!(garbage.is_err());
        let mut long = b"t\"".to_vec();
        long.extend(std::iter::repeat_n(b'a', MAX_LINE + 10));
        assert!(
            read_wire(&long[..], &mut crate::extract::Guard::new(&mut out))
                .unwrap_err()
                .0
                .contains("16 MB")
        );
        // Found by `make fuzz` (wire): an empty line panicked on its slice.
        assert!(
            read_wire(
                &b"\nr[\"Adc\"]\n"[..],
                &mut crate::extract::Guard::new(&mut out)
            )
            .is_err()
        );
        assert!(read_wire(&b"c\n"[..], &mut crate::extract::Guard::new(&mut out)).is_err());
        let wide = b"c[\"a\"]\nr[1,2]\n";
        assert!(read_wire(&wide[..], &mut crate::extract::Guard::new(&mut out)).is_err());
        let done = read_wire(
            &b"c[\"a\"]\nr[\"x\"]\ne\"the file is empty\"\n"[..],
            &mut crate::extract::Guard::new(&mut out),
        )
        .unwrap();
        assert_eq!(done, Some(Err(Unreadable("the file is empty".into()))));
    }

    #[test]
    fn the_child_side_speaks_the_wire_the_parent_reads() {
        let mut wire = Wire { out: Vec::new() };
        let summary = crate::extract::extract("csv", b"Name,Score\nAda,98\n", &mut wire).unwrap();
        wire.send(b'd', &json!({"kind": summary.kind, "pages": summary.pages}))
            .unwrap();
        let mut out = Collected::default();
        let done = read_wire(&wire.out[..], &mut out).unwrap();
        assert_eq!(
            done,
            Some(Ok(Summary {
                kind: "csv",
                pages: None
            }))
        );
        assert_eq!(out.rows, vec![vec![json!("Ada"), json!("98")]]);
    }
}
