//! What a long call tells its caller as it goes, and how the caller stops it. Reads of many
//! pages and writes of many chunks report the records done after each page or chunk, and ask
//! before starting the next one whether the caller cancelled; an MCP client's
//! `notifications/progress` and `notifications/cancelled` are built on this.
//!
//! Both ends are optional: [`Progress::none`] reports nothing and is never cancelled, which is
//! what every caller but MCP uses.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How often the (remote) cancellation check may run; the local one is free and always runs.
const CHECK_EVERY: Duration = Duration::from_millis(500);

/// Records done so far, of `total` when known, and one line saying what is being done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub done: u64,
    pub total: Option<u64>,
    pub message: String,
}

/// Receives reports (in increasing `done` order; repeated or smaller values are dropped).
pub type Reporter = Box<dyn Fn(Report) + Send + Sync>;

/// Answers whether the caller asked to stop; may ask a shared store (cancellation can arrive at
/// another instance).
pub trait CancelCheck: Send + Sync {
    /// True when the caller cancelled, as far as is cheaply known now (no I/O).
    fn cancelled_here(&self) -> bool;
    /// True when the caller cancelled anywhere (may read the store).
    fn cancelled_anywhere(&self) -> Pin<Box<dyn Future<Output = bool> + Send + '_>>;
}

/// A call's progress channel and cancellation check; cheap to clone.
#[derive(Clone, Default)]
pub struct Progress {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    report: Option<Reporter>,
    cancel: Option<Box<dyn CancelCheck>>,
    last: AtomicU64,
    stopped: AtomicBool,
    /// When the store was last asked; held across the asking, so concurrent chunks wait for
    /// one answer instead of starting while another chunk learns the call was cancelled.
    checked: tokio::sync::Mutex<Instant>,
}

impl Progress {
    /// Reports nothing, never cancelled.
    pub fn none() -> Self {
        Self::default()
    }

    pub fn new(report: Option<Reporter>, cancel: Option<Box<dyn CancelCheck>>) -> Self {
        if report.is_none() && cancel.is_none() {
            return Self::none();
        }
        // The store is first asked half a second in: most calls are over by then, and pay nothing.
        let checked = tokio::sync::Mutex::new(Instant::now());
        let inner = Inner {
            report,
            cancel,
            last: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
            checked,
        };
        Self {
            inner: Some(Arc::new(inner)),
        }
    }

    /// Reports `done` records (of `total`); only values above the last reported go out, so
    /// concurrent chunks finishing out of order never make progress go backwards.
    pub fn report(&self, done: u64, total: Option<u64>, message: impl FnOnce() -> String) {
        let Some(inner) = &self.inner else { return };
        let Some(report) = &inner.report else { return };
        if done == 0 || inner.last.fetch_max(done, Ordering::SeqCst) >= done {
            return;
        }
        report(Report {
            done,
            total,
            message: message(),
        });
    }

    /// The last value reported: a later step of the same call (the target read of a sync after
    /// its source read, the writes after a read) counts on from here, so progress keeps growing.
    pub fn current(&self) -> u64 {
        self.inner
            .as_ref()
            .map_or(0, |i| i.last.load(Ordering::SeqCst))
    }

    /// Whether the caller cancelled. Once true, stays true. The store is asked at most every
    /// half second (not in the first half second); the local signal (a closed connection) every
    /// time. Concurrent callers asking while the store is asked wait for its answer.
    pub async fn cancelled(&self) -> bool {
        let Some(inner) = &self.inner else {
            return false;
        };
        let Some(cancel) = &inner.cancel else {
            return false;
        };
        if inner.stopped.load(Ordering::SeqCst) || cancel.cancelled_here() {
            inner.stopped.store(true, Ordering::SeqCst);
            return true;
        }
        let mut checked = inner.checked.lock().await;
        if inner.stopped.load(Ordering::SeqCst) {
            return true;
        }
        if checked.elapsed() < CHECK_EVERY {
            return false;
        }
        let cancelled = cancel.cancelled_anywhere().await;
        *checked = Instant::now();
        if cancelled {
            inner.stopped.store(true, Ordering::SeqCst);
        }
        cancelled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Flag(Arc<AtomicBool>, Arc<AtomicU64>);
    impl CancelCheck for Flag {
        fn cancelled_here(&self) -> bool {
            false
        }
        fn cancelled_anywhere(&self) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
            self.1.fetch_add(1, Ordering::SeqCst);
            let v = self.0.load(Ordering::SeqCst);
            Box::pin(async move { v })
        }
    }

    #[test]
    fn reports_only_go_forward() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = seen.clone();
        let p = Progress::new(
            Some(Box::new(move |r: Report| sink.lock().unwrap().push(r.done))),
            None,
        );
        for done in [0, 10, 30, 20, 30, 40] {
            p.report(done, Some(40), || format!("{done}"));
        }
        assert_eq!(*seen.lock().unwrap(), vec![10, 30, 40]);
        assert_eq!(
            p.current(),
            40,
            "a next step of the call counts on from here"
        );
    }

    #[tokio::test]
    async fn the_store_is_asked_at_most_every_half_second_and_a_cancel_sticks() {
        let (flag, asked) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicU64::new(0)),
        );
        let p = Progress::new(None, Some(Box::new(Flag(flag.clone(), asked.clone()))));
        let back_date = |p: &Progress| {
            *p.inner.as_ref().unwrap().checked.try_lock().unwrap() = Instant::now() - CHECK_EVERY;
        };
        flag.store(true, Ordering::SeqCst);
        assert!(!p.cancelled().await, "not asked in the first half second");
        assert_eq!(asked.load(Ordering::SeqCst), 0);
        flag.store(false, Ordering::SeqCst);
        back_date(&p);
        assert!(!p.cancelled().await);
        flag.store(true, Ordering::SeqCst);
        assert!(!p.cancelled().await, "checked a moment ago");
        assert_eq!(asked.load(Ordering::SeqCst), 1);
        back_date(&p);
        assert!(p.cancelled().await);
        flag.store(false, Ordering::SeqCst);
        assert!(p.cancelled().await, "stays cancelled");
        assert!(!Progress::none().cancelled().await);
    }
}
