//! Differential case scripts for the engine: one command per line, cases
//! separated by `## name` headers, so hundreds of cases stay readable.
//!
//! ```text
//! ## set and get
//! SET k "a b\x00"
//! [sorted] KEYS *
//! [masked] PTTL k
//! [type] INFO stats
//! ```
//!
//! * Arguments split on spaces; `"..."` allows `\" \\ \n \r \t \xHH`;
//!   `'...'` is literal.
//! * `[sorted]` compares the top-level aggregate in any order, `[masked]`
//!   masks integers, `[type]` compares only the reply type.
//! * `## name [needs CMD ...]`: the case runs only when mock-redis
//!   implements every listed command (commands other engine modules
//!   provide); otherwise it is reported as skipped.
//! * Lines starting with `//` are comments.

#![allow(dead_code)]

use crate::support::{Case, Compare, case};

/// Splits one script line into arguments.
pub fn split(line: &str) -> Vec<Vec<u8>> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let mut arg = Vec::new();
        while i < b.len() && b[i] != b' ' {
            match b[i] {
                b'"' => {
                    i += 1;
                    while i < b.len() && b[i] != b'"' {
                        if b[i] == b'\\' && i + 1 < b.len() {
                            i += 1;
                            match b[i] {
                                b'n' => arg.push(b'\n'),
                                b'r' => arg.push(b'\r'),
                                b't' => arg.push(b'\t'),
                                b'x' if i + 2 < b.len() => {
                                    let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
                                    arg.push(u8::from_str_radix(hex, 16).expect("\\xHH"));
                                    i += 2;
                                }
                                c => arg.push(c),
                            }
                        } else {
                            arg.push(b[i]);
                        }
                        i += 1;
                    }
                    i += 1;
                }
                b'\'' => {
                    i += 1;
                    while i < b.len() && b[i] != b'\'' {
                        arg.push(b[i]);
                        i += 1;
                    }
                    i += 1;
                }
                c => {
                    arg.push(c);
                    i += 1;
                }
            }
        }
        out.push(arg);
    }
    out
}

/// A parsed case and the commands it needs from other modules.
pub struct ScriptCase {
    pub case: Case,
    pub needs: Vec<String>,
    pub name: String,
}

/// Parses a whole script.
pub fn parse(script: &str) -> Vec<ScriptCase> {
    let mut out: Vec<ScriptCase> = Vec::new();
    for raw in script.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        if let Some(header) = line.strip_prefix("## ") {
            let (name, needs) = match header.find("[needs ") {
                Some(i) => (
                    header[..i].trim(),
                    header[i + 7..]
                        .trim_end_matches(']')
                        .split_whitespace()
                        .map(str::to_string)
                        .collect(),
                ),
                None => (header.trim(), Vec::new()),
            };
            out.push(ScriptCase {
                case: case(name),
                needs,
                name: name.to_string(),
            });
            continue;
        }
        let (compare, rest) = if let Some(r) = line.strip_prefix("[sorted] ") {
            (Compare::Sorted, r)
        } else if let Some(r) = line.strip_prefix("[masked] ") {
            (Compare::MaskIntegers, r)
        } else if let Some(r) = line.strip_prefix("[type] ") {
            (Compare::TypeOnly, r)
        } else {
            (Compare::Exact, line)
        };
        let current = out.last_mut().expect("a line before the first ## header");
        let c = std::mem::replace(&mut current.case, case(""));
        current.case = c.cmd_with(split(rest), compare);
    }
    out
}

/// Whether mock-redis implements `command` (per its command table).
pub async fn mock_supports(command: &str) -> bool {
    let server = mock_redis::MockRedis::start().await;
    let reply = crate::support::RawConn::open(server.port())
        .await
        .cmd(["COMMAND", "INFO", command])
        .await;
    // A known command answers a nested array; an unknown one a null.
    !reply.starts_with(b"*1\r\n$-1") && !reply.starts_with(b"*1\r\n*-1")
}

/// Runs every case of `script` whose needs are met; prints the skipped ones.
pub async fn run(script: &str) {
    run_with(script, &[]).await;
}

/// As [`run`], redis-server started with extra options.
pub async fn run_with(script: &str, redis_options: &[&str]) {
    let Some(differ) = crate::support::Differ::start_with(redis_options).await else {
        return;
    };
    let mut runnable = Vec::new();
    for sc in parse(script) {
        let mut missing = Vec::new();
        for cmd in &sc.needs {
            if !mock_supports(cmd).await {
                missing.push(cmd.clone());
            }
        }
        if missing.is_empty() {
            runnable.push(sc.case);
        } else {
            eprintln!(
                "SKIPPED case {:?}: mock-redis does not implement {} yet",
                sc.name,
                missing.join(", ")
            );
        }
    }
    differ.check(&runnable).await;
}

#[test]
fn splits_like_a_shell() {
    assert_eq!(
        split(r#"SET "a b" 'c d' "\x00\n" x"#),
        vec![
            b"SET".to_vec(),
            b"a b".to_vec(),
            b"c d".to_vec(),
            b"\x00\n".to_vec(),
            b"x".to_vec()
        ]
    );
    assert_eq!(
        split(r#"SET k """#),
        vec![b"SET".to_vec(), b"k".to_vec(), Vec::new()]
    );
}
