//! LATENCY GRAPH's text: Redis's sparkline renderer (`sparkline.c`, four
//! rows of `_o#|` fill characters scaled between the samples' minimum and
//! maximum, then each sample's age as a vertical label), 80 columns a
//! block.

use crate::engine::stats::LatencyEvent;

const COLUMNS: usize = 80;
const ROWS: usize = 4;
const FILL: [u8; 3] = [b'_', b'o', b'#'];

/// The age label Redis puts under a sample: `12s`, `3m`, `5h` or `2d`.
fn age(elapsed: i64) -> String {
    match elapsed {
        ..60 => format!("{elapsed}s"),
        60..3600 => format!("{}m", elapsed / 60),
        3600..86400 => format!("{}h", elapsed / 3600),
        _ => format!("{}d", elapsed / 86400),
    }
}

/// The whole `LATENCY GRAPH <event>` text.
pub(crate) fn latency_graph(name: &str, ts: &LatencyEvent, now: i64) -> String {
    let values: Vec<u64> = ts.samples.iter().map(|s| s.1).collect();
    let labels: Vec<String> = ts.samples.iter().map(|s| age(now - s.0)).collect();
    let min = values.iter().copied().min().unwrap_or(0);
    let max = values.iter().copied().max().unwrap_or(0);
    let mut out = format!(
        "{name} - high {max} ms, low {min} ms (all time high {} ms)\n",
        ts.max
    );
    out.push_str(&"-".repeat(COLUMNS));
    out.push('\n');
    let mut start = 0;
    while start < values.len() {
        let len = (values.len() - start).min(COLUMNS);
        if start != 0 {
            out.push('\n');
        }
        render(
            &mut out,
            &values[start..start + len],
            &labels[start..start + len],
            min,
            max,
        );
        start += COLUMNS;
    }
    out
}

/// Redis's `sparklineRenderRange` with `SPARKLINE_FILL`.
fn render(out: &mut String, values: &[u64], labels: &[String], min: u64, max: u64) {
    let relmax = if max == min { 1.0 } else { (max - min) as f64 };
    let steps = (FILL.len() * ROWS) as f64;
    let mut row = 0;
    loop {
        let mut chars = vec![b' '; values.len()];
        let mut more = false;
        for (j, (&value, label)) in values.iter().zip(labels).enumerate() {
            let step = (((value - min) as f64 * steps) / relmax) as i64;
            let step = step.clamp(0, steps as i64 - 1);
            if row < ROWS {
                more = true;
                let idx = step - ((ROWS - row - 1) * FILL.len()) as i64;
                if (0..FILL.len() as i64).contains(&idx) {
                    chars[j] = FILL[idx as usize];
                } else if idx >= FILL.len() as i64 {
                    chars[j] = b'|';
                }
            } else if row == ROWS {
                // One blank row between the graph and the labels.
                more = true;
                break;
            } else if let Some(&c) = label.as_bytes().get(row - ROWS - 1) {
                more = true;
                chars[j] = c;
            }
        }
        if !more {
            break;
        }
        row += 1;
        out.push_str(&String::from_utf8_lossy(&chars));
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What redis-server 7.0.15 printed for one 20 ms sample 0 s old.
    #[test]
    fn one_sample() {
        let mut ts = LatencyEvent::default();
        ts.samples.push_back((100, 20));
        ts.max = 20;
        let expected = format!(
            "command - high 20 ms, low 20 ms (all time high 20 ms)\n{}\n \n \n \n_\n \n0\ns\n",
            "-".repeat(80)
        );
        assert_eq!(latency_graph("command", &ts, 100), expected);
    }
}
