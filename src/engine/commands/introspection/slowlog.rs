//! SLOWLOG (GET, LEN, RESET, HELP), LATENCY (LATEST, HISTORY, RESET,
//! DOCTOR, GRAPH, HISTOGRAM, HELP), and what the dispatcher records for
//! them after each call ([`Engine::record_call`]): the slow log entry
//! (`slowlog-log-slower-than`, `slowlog-max-len`, Redis's argument
//! trimming), the latency monitor's `command` / `fast-command` events
//! (`latency-monitor-threshold`) and the per-command latency histogram
//! (`latency-tracking`).

use std::time::Duration;

use bytes::Bytes;

use crate::engine::command::{
    CmdResult, CommandName, CommandSpec, CommandTable, flags::*, full_name,
};
use crate::engine::stats::{DiagnosticSettings, Histogram, LatencyEvent, SlowlogEntry};
use crate::engine::util::args;
use crate::engine::util::errors::{err, subcommand_syntax_error};
use crate::engine::util::help::help_reply;
use crate::engine::{Client, Ctx, Engine};
use crate::protocol::Reply;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::container("slowlog", SLOWLOG),
    CommandSpec::container("latency", LATENCY),
];

const SLOWLOG: &[CommandSpec] = &[
    CommandSpec::new("get", -2, slowlog_get).flags(ADMIN | LOADING | STALE),
    CommandSpec::new("len", 2, slowlog_len).flags(ADMIN | LOADING | STALE),
    CommandSpec::new("reset", 2, slowlog_reset).flags(ADMIN | LOADING | STALE),
    CommandSpec::new("help", 2, slowlog_help).flags(LOADING | STALE),
];

const LATENCY: &[CommandSpec] = &[
    CommandSpec::new("latest", 2, latency_latest).flags(ADMIN | NOSCRIPT | LOADING | STALE),
    CommandSpec::new("history", 3, latency_history).flags(ADMIN | NOSCRIPT | LOADING | STALE),
    CommandSpec::new("reset", -2, latency_reset).flags(ADMIN | NOSCRIPT | LOADING | STALE),
    CommandSpec::new("doctor", 2, latency_doctor).flags(ADMIN | NOSCRIPT | LOADING | STALE),
    CommandSpec::new("graph", 3, latency_graph).flags(ADMIN | NOSCRIPT | LOADING | STALE),
    CommandSpec::new("histogram", -2, latency_histogram).flags(ADMIN | NOSCRIPT | LOADING | STALE),
    CommandSpec::new("help", 2, latency_help).flags(LOADING | STALE),
];

/// Redis's `SLOWLOG_ENTRY_MAX_ARGC` and `SLOWLOG_ENTRY_MAX_STRING`.
const MAX_ARGC: usize = 32;
const MAX_STRING: usize = 128;
/// Redis's `LATENCY_TS_LEN`.
const LATENCY_SAMPLES: usize = 160;
/// Histogram buckets are reported from 2^10 ns; durations are clamped to
/// [1,024 ns, 1 s], as Redis's `CONFIG_LATENCY_HISTOGRAM_{MIN,MAX}_VALUE`.
const HISTOGRAM_MIN_NS: u64 = 1024;
const HISTOGRAM_MAX_NS: u64 = 1_000_000_000;

/// The arguments as a slow log entry keeps them.
fn trimmed_args(args: &[Bytes]) -> Vec<Bytes> {
    let keep = if args.len() > MAX_ARGC {
        MAX_ARGC - 1
    } else {
        args.len()
    };
    let mut out: Vec<Bytes> = args[..keep]
        .iter()
        .map(|a| {
            if a.len() > MAX_STRING {
                let mut s = a[..MAX_STRING].to_vec();
                s.extend_from_slice(
                    format!("... ({} more bytes)", a.len() - MAX_STRING).as_bytes(),
                );
                Bytes::from(s)
            } else {
                a.clone()
            }
        })
        .collect();
    if args.len() > MAX_ARGC {
        out.push(Bytes::from(format!(
            "... ({} more arguments)",
            args.len() - keep
        )));
    }
    out
}

/// The width of the HDR histogram's sub-buckets around 2^e ns (two
/// significant figures, 1,024 ns units).
fn bucket_width(e: u32) -> u64 {
    1 << e.saturating_sub(7).max(10)
}

/// The bucket index (2^(k+10) ns) a duration counts in.
fn bucket(ns: u64) -> usize {
    let ns = ns.clamp(HISTOGRAM_MIN_NS, HISTOGRAM_MAX_NS);
    (0..21)
        .find(|&k| ns < (1u64 << (k + 10)) + bucket_width(k + 10))
        .unwrap_or(20) as usize
}

impl Engine {
    /// After a call (Redis's `call`): INFO commandstats, the histogram,
    /// the latency monitor and the slow log.
    pub(crate) fn record_call(
        &mut self,
        client: &Client,
        spec: &'static CommandSpec,
        name: CommandName,
        args: &[Bytes],
        elapsed: Duration,
        failed: bool,
    ) {
        if args[0].eq_ignore_ascii_case(b"config") {
            // CONFIG SET slowlog-* applies to its own entry, as in Redis.
            self.diagnostics.settings = DiagnosticSettings::from_config(&self.runtime);
        }
        let settings = self.diagnostics.settings;
        // Counted once the call returned, as Redis's `call` does (so a
        // CONFIG RESETSTAT counts itself after the reset).
        let stats = self.stats.commands.entry(name).or_default();
        stats.calls += 1;
        stats.failed += u64::from(failed);
        if client.blocked.is_some() {
            return;
        }
        if settings.latency_tracking {
            stats.latency.calls += 1;
            stats.latency.counts[bucket(elapsed.as_nanos() as u64)] += 1;
        }
        let ms = elapsed.as_millis() as i64;
        if settings.latency_threshold_ms > 0 && ms >= settings.latency_threshold_ms {
            let event = if spec.flags & FAST != 0 {
                "fast-command"
            } else {
                "command"
            };
            self.add_latency_sample(event, ms as u64);
        }
        let micros = elapsed.as_micros() as u64;
        if spec.flags & SKIP_SLOWLOG == 0
            && settings.slowlog_slower_than >= 0
            && micros >= settings.slowlog_slower_than as u64
        {
            let time = self.now_ms() / 1000;
            let d = &mut self.diagnostics;
            d.slowlog.push_front(SlowlogEntry {
                id: d.slowlog_next_id,
                time,
                micros,
                args: trimmed_args(args),
                addr: client.addr.clone(),
                name: client.name.clone().unwrap_or_default(),
            });
            d.slowlog_next_id += 1;
            d.slowlog.truncate(settings.slowlog_max_len);
        }
    }

    /// Redis's `latencyAddSample`: one sample a second, the highest kept.
    fn add_latency_sample(&mut self, event: &'static str, ms: u64) {
        let now = self.now_ms() / 1000;
        let ts = self.diagnostics.latency.entry(event).or_default();
        ts.max = ts.max.max(ms);
        if let Some(last) = ts.samples.back_mut()
            && last.0 == now
        {
            last.1 = last.1.max(ms);
            return;
        }
        ts.samples.push_back((now, ms));
        if ts.samples.len() > LATENCY_SAMPLES {
            ts.samples.pop_front();
        }
    }
}

// --- SLOWLOG ---------------------------------------------------------------

fn slowlog_get(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.len() > 3 {
        return Err(subcommand_syntax_error(ctx.arg(1), "slowlog"));
    }
    let count = if ctx.args.len() == 3 {
        let n = args::int_or(
            ctx.arg(2),
            "ERR count should be greater than or equal to -1",
        )?;
        if n < -1 {
            return Err(err("ERR count should be greater than or equal to -1"));
        }
        if n == -1 { usize::MAX } else { n as usize }
    } else {
        10
    };
    let entries = ctx
        .engine
        .diagnostics
        .slowlog
        .iter()
        .take(count)
        .map(|e| {
            Reply::Array(vec![
                Reply::int(e.id as i64),
                Reply::int(e.time),
                Reply::int(e.micros as i64),
                Reply::Array(e.args.iter().cloned().map(Reply::Bulk).collect()),
                Reply::bulk(e.addr.clone()),
                Reply::Bulk(e.name.clone()),
            ])
        })
        .collect();
    Ok(Reply::Array(entries))
}

fn slowlog_len(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Reply::int(ctx.engine.diagnostics.slowlog.len() as i64))
}

fn slowlog_reset(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.engine.diagnostics.slowlog.clear();
    Ok(Reply::ok())
}

fn slowlog_help(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(help_reply(
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    ))
}

// --- LATENCY ---------------------------------------------------------------

fn latency_latest(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Reply::Array(
        ctx.engine
            .diagnostics
            .latency
            .iter()
            .filter_map(|(event, ts)| {
                let (time, ms) = *ts.samples.back()?;
                Some(Reply::Array(vec![
                    Reply::bulk(*event),
                    Reply::int(time),
                    Reply::int(ms as i64),
                    Reply::int(ts.max as i64),
                ]))
            })
            .collect(),
    ))
}

fn event<'a>(ctx: &'a Ctx<'_>, name: &[u8]) -> Option<(&'static str, &'a LatencyEvent)> {
    ctx.engine
        .diagnostics
        .latency
        .iter()
        .find(|(e, _)| e.as_bytes() == name)
        .map(|(e, ts)| (*e, ts))
}

fn latency_history(ctx: &mut Ctx<'_>) -> CmdResult {
    let samples = event(ctx, ctx.arg(2)).map_or_else(Vec::new, |(_, ts)| {
        ts.samples
            .iter()
            .map(|&(t, ms)| Reply::Array(vec![Reply::int(t), Reply::int(ms as i64)]))
            .collect()
    });
    Ok(Reply::Array(samples))
}

fn latency_reset(ctx: &mut Ctx<'_>) -> CmdResult {
    let latency = &mut ctx.engine.diagnostics.latency;
    if ctx.args.len() == 2 {
        let n = latency.len();
        latency.clear();
        return Ok(Reply::int(n as i64));
    }
    let mut n = 0;
    for name in &ctx.args[2..] {
        let found = latency.keys().find(|e| e.as_bytes() == &name[..]).copied();
        if let Some(e) = found {
            latency.remove(e);
            n += 1;
        }
    }
    Ok(Reply::int(n))
}

fn verbatim(text: String) -> Reply {
    Reply::Verbatim {
        format: *b"txt",
        text: text.into(),
    }
}

fn latency_graph(ctx: &mut Ctx<'_>) -> CmdResult {
    let Some((name, ts)) = event(ctx, ctx.arg(2)) else {
        return Err(Reply::error(format!(
            "ERR No samples available for event '{}'",
            String::from_utf8_lossy(ctx.arg(2))
        )));
    };
    let now = ctx.engine.now_ms() / 1000;
    Ok(verbatim(super::sparkline::latency_graph(name, ts, now)))
}

fn latency_doctor(ctx: &mut Ctx<'_>) -> CmdResult {
    let engine = &*ctx.engine;
    let d = &engine.diagnostics;
    let threshold = d.settings.latency_threshold_ms;
    if d.latency.is_empty() && threshold == 0 {
        return Ok(verbatim("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".into()));
    }
    if d.latency.is_empty() {
        return Ok(verbatim("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n".into()));
    }
    let now = engine.now_ms() / 1000;
    let mut report = String::from(
        "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n",
    );
    let (mut slowlog_enabled, mut slowlog_tuning, mut commands, mut scheduler) =
        (false, false, false, false);
    for (i, (name, ts)) in d.latency.iter().enumerate() {
        let n = ts.samples.len() as u64;
        let avg = ts.samples.iter().map(|s| s.1).sum::<u64>() / n.max(1);
        let mad = ts.samples.iter().map(|s| s.1.abs_diff(avg)).sum::<u64>() / n.max(1);
        let oldest = ts.samples.iter().map(|s| s.0).min().unwrap_or(now);
        let period = (now - oldest).max(1);
        report.push_str(&format!(
            "{}. {name}: {n} latency spikes (average {avg}ms, mean deviation {mad}ms, period {:.2} sec). Worst all time event {}ms.\n",
            i + 1,
            period as f64 / n.max(1) as f64,
            ts.max
        ));
        if *name == "command" {
            let slower = d.settings.slowlog_slower_than;
            if slower < 0 {
                slowlog_enabled = true;
            } else if slower / 1000 > threshold {
                slowlog_tuning = true;
            }
            commands = true;
        } else {
            scheduler = true;
        }
    }
    report.push_str("\nI have a few advices for you:\n\n");
    if slowlog_enabled {
        report.push_str(&format!("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n", threshold * 1000));
    }
    if slowlog_tuning {
        report.push_str(&format!("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {}'.\n", threshold * 1000));
    }
    if commands {
        report.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
    }
    if scheduler {
        report.push_str("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
    }
    if commands {
        report.push_str("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
    }
    Ok(verbatim(report))
}

/// `INFO latencystats`: one `latency_percentiles_usec_<command>` line per
/// command called since the last CONFIG RESETSTAT, with the percentiles of
/// `latency-tracking-info-percentiles`, each the highest value of the
/// bucket it falls in (Redis's `hdr_value_at_percentile`, here over the
/// power-of-two buckets LATENCY HISTOGRAM reports), in microseconds.
pub(crate) fn latencystats(engine: &Engine) -> Vec<(String, String)> {
    let percentiles: Vec<f64> = engine
        .config_str("latency-tracking-info-percentiles")
        .unwrap_or("50 99 99.9")
        .split_ascii_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect();
    let mut lines: Vec<(String, String)> = engine
        .stats
        .commands
        .iter()
        .map(|(name, c)| (name, &c.latency))
        .filter(|(_, h)| h.calls > 0)
        .map(|(name, h)| {
            let values: Vec<String> = percentiles
                .iter()
                .map(|&p| format!("p{p}={:.3}", percentile_usec(h, p)))
                .collect();
            (format!("latency_percentiles_usec_{name}"), values.join(","))
        })
        .collect();
    lines.sort();
    lines
}

/// The highest value (µs) of the bucket holding percentile `p` of `h`.
fn percentile_usec(h: &Histogram, p: f64) -> f64 {
    let wanted = ((p / 100.0) * h.calls as f64).ceil().max(1.0) as u64;
    let mut seen = 0;
    for (k, n) in h.counts.iter().enumerate() {
        seen += n;
        if *n > 0 && seen >= wanted {
            let e = k as u32 + 10;
            return ((1u64 << e) + bucket_width(e) - 1) as f64 / 1000.0;
        }
    }
    0.0
}

/// One command's `LATENCY HISTOGRAM` entry: calls, and the cumulative
/// count at each bucket a call landed in (keyed by the bucket's highest
/// value in microseconds).
fn histogram_reply(h: &Histogram) -> Reply {
    let mut cumulative = 0;
    let buckets = h
        .counts
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| {
            cumulative += n;
            let e = k as u32 + 10;
            let micros = ((1u64 << e) + bucket_width(e) - 1) / 1000;
            (Reply::int(micros as i64), Reply::int(cumulative as i64))
        })
        .collect();
    Reply::map([
        (Reply::bulk("calls"), Reply::int(h.calls as i64)),
        (Reply::bulk("histogram_usec"), Reply::Map(buckets)),
    ])
}

/// The entries of a command (and of its subcommands), those called since
/// the last CONFIG RESETSTAT.
fn histograms_of(
    ctx: &Ctx<'_>,
    spec: &'static CommandSpec,
    parent: Option<&'static CommandSpec>,
    with_subcommands: bool,
    out: &mut Vec<(Reply, Reply)>,
) {
    if let Some(h) = ctx
        .engine
        .stats
        .commands
        .get(&CommandName::of(spec, parent))
        .map(|c| &c.latency)
        .filter(|h| h.calls > 0)
    {
        out.push((Reply::bulk(full_name(spec, parent)), histogram_reply(h)));
    }
    if with_subcommands {
        for sub in spec.subcommands {
            histograms_of(ctx, sub, Some(spec), false, out);
        }
    }
}

fn latency_histogram(ctx: &mut Ctx<'_>) -> CmdResult {
    let table = CommandTable::get();
    let mut out = Vec::new();
    if ctx.args.len() == 2 {
        for spec in &table.all {
            histograms_of(ctx, spec, None, true, &mut out);
        }
    }
    for name in ctx.args.iter().skip(2) {
        let mut parts = name.splitn(2, |&b| b == b'|');
        let Some(base) = parts.next().and_then(|n| table.lookup(n)) else {
            continue;
        };
        match parts.next() {
            None => histograms_of(ctx, base, None, true, &mut out),
            Some(sub) => {
                if let Some(spec) = base
                    .subcommands
                    .iter()
                    .find(|s| s.name.as_bytes().eq_ignore_ascii_case(sub))
                {
                    histograms_of(ctx, spec, Some(base), false, &mut out);
                }
            }
        }
    }
    Ok(Reply::Map(out))
}

fn latency_help(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(help_reply(
        "LATENCY",
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_trimmed_as_redis_trims_them() {
        let args: Vec<Bytes> = (0..40).map(|i| Bytes::from(i.to_string())).collect();
        let t = trimmed_args(&args);
        assert_eq!(t.len(), 32);
        assert_eq!(t[31], "... (9 more arguments)");
        let long = [Bytes::from(vec![b'x'; 130])];
        let t = trimmed_args(&long);
        assert_eq!(t[0].len(), 128 + "... (2 more bytes)".len());
        assert!(t[0].ends_with(b"... (2 more bytes)"));
    }

    #[test]
    fn histogram_buckets_follow_hdr() {
        // 33 µs is what Redis reports for a call of about 30 µs.
        assert_eq!(bucket(30_000), 5);
        let mut h = Histogram {
            calls: 1,
            ..Default::default()
        };
        h.counts[bucket(30_000)] = 1;
        let Reply::Map(fields) = histogram_reply(&h) else {
            panic!("a map");
        };
        assert_eq!(
            fields[1].1,
            Reply::Map(vec![(Reply::int(33), Reply::int(1))])
        );
        assert_eq!(bucket(1), 0);
        assert_eq!(bucket(u64::MAX), 20);
    }
}
