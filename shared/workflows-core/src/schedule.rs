//! Schedules of `schedule` and `record_matches` triggers: a five-field cron (`0 9 * * 1-5`) or a
//! rate (`5 minutes`), in an IANA timezone. The same value is written to EventBridge Scheduler
//! (`cron(0 9 ? * MON-FRI *)`, `rate(5 minutes)`) and read back from it by the local stack, which
//! fires schedules itself because the emulator only stores them.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

/// A schedule: when it fires, and in which timezone its cron is read.
#[derive(Debug, Clone)]
pub struct Schedule {
    every: Every,
    pub timezone: Tz,
}

#[derive(Debug, Clone)]
enum Every {
    /// The five fields as the user wrote them (numbers for weekdays), and the parsed pattern.
    Cron {
        fields: [String; 5],
        cron: Box<Cron>,
    },
    /// A fixed interval, in seconds (whole minutes, like EventBridge Scheduler).
    Rate { seconds: u64, text: String },
}

/// Why a schedule is not valid; the message says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ScheduleError(pub String);

fn err(m: impl Into<String>) -> ScheduleError {
    ScheduleError(m.into())
}

fn parser() -> CronParser {
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build()
}

const WEEKDAYS: [&str; 8] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];

/// `1-5` → `MON-FRI`: EventBridge numbers weekdays 1–7 from Sunday, cron 0–6 (and 7), so
/// numbers are written as names, which both read the same way. Step values stay numbers.
fn weekday_names(field: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    let mut after_slash = false;
    let flush = |digits: &mut String, out: &mut String, after_slash: bool| {
        if digits.is_empty() {
            return;
        }
        match digits
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= 7 && !after_slash)
        {
            Some(n) => out.push_str(WEEKDAYS[n]),
            None => out.push_str(digits),
        }
        digits.clear();
    };
    for c in field.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out, after_slash);
            after_slash = c == '/' || (after_slash && c != ',' && c != '-');
            out.push(c);
        }
    }
    flush(&mut digits, &mut out, after_slash);
    out
}

fn timezone(tz: Option<&str>) -> Result<Tz, ScheduleError> {
    match tz.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(Tz::UTC),
        Some(name) => Tz::from_str(name).map_err(|_| {
            err(format!(
                "`{name}` is not an IANA timezone (e.g. Europe/Berlin, America/New_York, UTC)"
            ))
        }),
    }
}

impl Schedule {
    /// A five-field cron: minute, hour, day of month, month, day of week.
    pub fn cron(expr: &str, tz: Option<&str>) -> Result<Self, ScheduleError> {
        let parts: Vec<&str> = expr.split_whitespace().collect();
        let fields: [String; 5] = match parts.as_slice() {
            [a, b, c, d, e] => [a, b, c, d, e].map(|s| s.to_uppercase()),
            _ => {
                return Err(err(
                    "a cron has five fields: minute hour day-of-month month day-of-week (e.g. `0 9 * * 1-5`)",
                ));
            }
        };
        if fields[2] != "*" && fields[4] != "*" {
            return Err(err(
                "set either the day of the month or the day of the week, not both (EventBridge Scheduler cannot combine them)",
            ));
        }
        let cron = parser()
            .parse(&fields.join(" "))
            .map_err(|e| err(format!("not a valid cron: {e}")))?;
        Ok(Self {
            every: Every::Cron {
                fields,
                cron: Box::new(cron),
            },
            timezone: timezone(tz)?,
        })
    }

    /// A rate: `<n> minute(s)|hour(s)|day(s)`, at least one minute.
    pub fn rate(text: &str, tz: Option<&str>) -> Result<Self, ScheduleError> {
        let bad = || err("a rate is `<n> minutes`, `<n> hours` or `<n> days` (at least 1 minute)");
        let (n, unit) = text.trim().split_once(' ').ok_or_else(bad)?;
        let n: u64 = n.parse().ok().filter(|n| *n > 0).ok_or_else(bad)?;
        let unit_secs = match unit.trim() {
            "minute" | "minutes" => 60,
            "hour" | "hours" => 3600,
            "day" | "days" => 86_400,
            _ => return Err(bad()),
        };
        // EventBridge Scheduler wants the singular for 1 and the plural otherwise.
        let unit = unit.trim().trim_end_matches('s');
        let text = if n == 1 {
            format!("{n} {unit}")
        } else {
            format!("{n} {unit}s")
        };
        Ok(Self {
            every: Every::Rate {
                seconds: n * unit_secs,
                text,
            },
            timezone: timezone(tz)?,
        })
    }

    /// The expression EventBridge Scheduler takes.
    pub fn aws_expression(&self) -> String {
        match &self.every {
            Every::Rate { text, .. } => format!("rate({text})"),
            Every::Cron { fields, .. } => {
                let [min, hour, dom, month, dow] = fields;
                let (dom, dow) = if dow == "*" {
                    (dom.clone(), "?".to_owned())
                } else {
                    ("?".to_owned(), weekday_names(dow))
                };
                format!("cron({min} {hour} {dom} {month} {dow} *)")
            }
        }
    }

    /// Reads an expression written by [`Self::aws_expression`] back.
    pub fn from_aws(expression: &str, tz: Option<&str>) -> Result<Self, ScheduleError> {
        if let Some(rate) = expression
            .strip_prefix("rate(")
            .and_then(|r| r.strip_suffix(')'))
        {
            return Self::rate(rate, tz);
        }
        let body = expression
            .strip_prefix("cron(")
            .and_then(|r| r.strip_suffix(')'))
            .ok_or_else(|| err("not a cron() or rate()"))?;
        let parts: Vec<&str> = body.split_whitespace().collect();
        match parts.as_slice() {
            [min, hour, dom, month, dow, "*"] => {
                let q = |s: &str| {
                    if s == "?" {
                        "*".to_owned()
                    } else {
                        s.to_owned()
                    }
                };
                Self::cron(&format!("{min} {hour} {} {month} {}", q(dom), q(dow)), tz)
            }
            _ => Err(err(
                "only cron() expressions with six fields and every year are read",
            )),
        }
    }

    /// The interval of a rate schedule.
    pub fn rate_seconds(&self) -> Option<u64> {
        match self.every {
            Every::Rate { seconds, .. } => Some(seconds),
            Every::Cron { .. } => None,
        }
    }

    /// The first firing strictly after `after`. A rate fires every interval counted from
    /// `anchor` (when the schedule was created), as EventBridge Scheduler does.
    pub fn next_after(&self, after: DateTime<Utc>, anchor: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match &self.every {
            Every::Rate { seconds, .. } => {
                let step = i64::try_from(*seconds).ok()?;
                let elapsed = (after - anchor).num_seconds();
                let n = if elapsed < 0 { 1 } else { elapsed / step + 1 };
                Some(anchor + chrono::Duration::seconds(n * step))
            }
            Every::Cron { cron, .. } => {
                let local = after.with_timezone(&self.timezone);
                cron.find_next_occurrence(&local, false)
                    .ok()
                    .map(|t| t.with_timezone(&Utc))
            }
        }
    }

    /// The next `n` firings after `after`.
    pub fn upcoming(&self, after: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
        let mut out = Vec::with_capacity(n);
        let mut at = after;
        while out.len() < n {
            match self.next_after(at, after) {
                Some(t) => {
                    out.push(t);
                    at = t;
                }
                None => break,
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn weekday_crons_become_eventbridge_expressions_with_names() {
        assert_eq!(
            Schedule::cron("0 9 * * 1-5", None)
                .unwrap()
                .aws_expression(),
            "cron(0 9 ? * MON-FRI *)"
        );
        assert_eq!(
            Schedule::cron("*/15 * * * *", None)
                .unwrap()
                .aws_expression(),
            "cron(*/15 * * * ? *)"
        );
        assert_eq!(
            Schedule::cron("0 0 1 * *", None).unwrap().aws_expression(),
            "cron(0 0 1 * ? *)"
        );
        assert_eq!(
            Schedule::cron("30 8 * * 0,6", None)
                .unwrap()
                .aws_expression(),
            "cron(30 8 ? * SUN,SAT *)"
        );
        assert_eq!(
            Schedule::cron("0 8 * * 1-5/2", None)
                .unwrap()
                .aws_expression(),
            "cron(0 8 ? * MON-FRI/2 *)"
        );
        assert_eq!(
            Schedule::rate("1 minutes", None).unwrap().aws_expression(),
            "rate(1 minute)"
        );
        assert_eq!(
            Schedule::rate("5 minute", None).unwrap().aws_expression(),
            "rate(5 minutes)"
        );
    }

    #[test]
    fn expressions_read_back_fire_at_the_same_times() {
        let from = at("2026-11-27T10:00:00Z");
        for (cron, tz) in [
            ("0 9 * * 1-5", "Europe/Berlin"),
            ("*/20 3 * * *", "UTC"),
            ("0 0 1 * *", "America/New_York"),
        ] {
            let s = Schedule::cron(cron, Some(tz)).unwrap();
            let back = Schedule::from_aws(&s.aws_expression(), Some(tz)).unwrap();
            assert_eq!(s.upcoming(from, 5), back.upcoming(from, 5), "{cron}");
        }
    }

    #[test]
    fn next_runs_respect_the_timezone_and_weekdays() {
        // Friday 27 Nov 2026, 10:00 UTC = 11:00 in Berlin: the next 09:00 Berlin weekday is Monday.
        let s = Schedule::cron("0 9 * * 1-5", Some("Europe/Berlin")).unwrap();
        let next = s.upcoming(at("2026-11-27T10:00:00Z"), 2);
        assert_eq!(
            next,
            vec![at("2026-11-30T08:00:00Z"), at("2026-12-01T08:00:00Z")]
        );
    }

    #[test]
    fn rates_count_from_their_anchor() {
        let s = Schedule::rate("5 minutes", None).unwrap();
        let anchor = at("2026-11-27T10:00:00Z");
        assert_eq!(
            s.next_after(at("2026-11-27T10:00:00Z"), anchor),
            Some(at("2026-11-27T10:05:00Z"))
        );
        assert_eq!(
            s.next_after(at("2026-11-27T10:07:00Z"), anchor),
            Some(at("2026-11-27T10:10:00Z"))
        );
        assert_eq!(s.upcoming(anchor, 3).len(), 3);
    }

    #[test]
    fn bad_schedules_say_what_is_wrong() {
        assert!(
            Schedule::cron("0 9 * *", None)
                .unwrap_err()
                .0
                .contains("five fields")
        );
        assert!(
            Schedule::cron("0 9 1 * 1", None)
                .unwrap_err()
                .0
                .contains("not both")
        );
        assert!(Schedule::cron("61 * * * *", None).is_err());
        assert!(
            Schedule::cron("0 9 * * *", Some("Mars/Olympus"))
                .unwrap_err()
                .0
                .contains("IANA")
        );
        assert!(Schedule::rate("0 minutes", None).is_err());
        assert!(Schedule::rate("5 seconds", None).is_err());
    }
}
