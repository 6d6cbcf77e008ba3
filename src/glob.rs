//! Redis's glob-style pattern matching (`stringmatchlen` in `util.c`, as of
//! Redis 7.0), case-sensitive and case-insensitive.
//!
//! One matcher for the whole crate, a leaf module (it imports nothing from
//! the engine, the mocks or the server): `KEYS`, `SCAN MATCH` and the
//! `*SCAN MATCH` commands, `PSUBSCRIBE` patterns and `PUBSUB CHANNELS`
//! (case-sensitive), `CONFIG GET` (case-insensitive) and the
//! [`key`](crate::matchers::key) mock matcher all call it. A new command
//! that takes a pattern calls [`glob_match`] or [`glob_match_nocase`] too.
//!
//! Matching has Redis 7.0's `skipLongerMatches` cut-off (the fix of
//! CVE-2022-36021): once the rest of a pattern after a `*` has failed at
//! every later position, no earlier `*` retries a longer match, so a
//! pathological pattern costs polynomial, not exponential, time.

/// Whether `string` matches the glob `pattern` with Redis's rules: `*`, `?`,
/// `[abc]`, `[^a]`, `[a-z]` (reversed ranges allowed) and backslash escapes.
/// A lone `*` matches everything, the empty string included, as `KEYS *`
/// and `SCAN MATCH *` do (`stringmatchlen` itself does not match `""`).
pub(crate) fn glob_match(pattern: &[u8], string: &[u8]) -> bool {
    matches_with(pattern, string, false)
}

/// [`glob_match`] ignoring ASCII case, as Redis's `stringmatchlen(..., 1)`
/// (`CONFIG GET`): letters compare with `tolower`, and so do both ends of a
/// `[a-z]` range and the byte tested against it. An escaped byte inside a
/// class (`[\A]`) still compares exactly, as in Redis.
pub(crate) fn glob_match_nocase(pattern: &[u8], string: &[u8]) -> bool {
    matches_with(pattern, string, true)
}

fn matches_with(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    if pattern == b"*" {
        return true;
    }
    let mut skip_longer = false;
    matches(pattern, string, nocase, &mut skip_longer)
}

/// The byte at `i`, or NUL past the end (the C code reads the terminator).
fn at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

/// Byte equality, ASCII case folded when `nocase`.
fn same(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

fn matches(pattern: &[u8], string: &[u8], nocase: bool, skip_longer: &mut bool) -> bool {
    let (mut p, mut s) = (0usize, 0usize);
    while p < pattern.len() && s < string.len() {
        match pattern[p] {
            b'*' => {
                while p + 1 < pattern.len() && pattern[p + 1] == b'*' {
                    p += 1;
                }
                if p + 1 == pattern.len() {
                    return true;
                }
                while s < string.len() {
                    if matches(&pattern[p + 1..], &string[s..], nocase, skip_longer) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s += 1;
                }
                // No later position can match either: stop the callers' scans.
                *skip_longer = true;
                return false;
            }
            b'?' => s += 1,
            b'[' => {
                p += 1;
                let negate = at(pattern, p) == b'^';
                if negate {
                    p += 1;
                }
                let c = string[s];
                let mut matched = false;
                loop {
                    let remaining = pattern.len().saturating_sub(p);
                    if at(pattern, p) == b'\\' && remaining >= 2 {
                        p += 1;
                        if pattern[p] == c {
                            matched = true;
                        }
                    } else if at(pattern, p) == b']' {
                        break;
                    } else if remaining == 0 {
                        // Unterminated class: the class ends with the pattern.
                        p -= 1;
                        break;
                    } else if remaining >= 3 && pattern[p + 1] == b'-' {
                        let (mut start, mut end) = (pattern[p], pattern[p + 2]);
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        let mut c = c;
                        if nocase {
                            start = start.to_ascii_lowercase();
                            end = end.to_ascii_lowercase();
                            c = c.to_ascii_lowercase();
                        }
                        p += 2;
                        if (start..=end).contains(&c) {
                            matched = true;
                        }
                    } else if same(pattern[p], c, nocase) {
                        matched = true;
                    }
                    p += 1;
                }
                if matched == negate {
                    return false;
                }
                s += 1;
            }
            b'\\' => {
                if pattern.len() - p >= 2 {
                    p += 1;
                }
                if !same(pattern[p], string[s], nocase) {
                    return false;
                }
                s += 1;
            }
            other => {
                if !same(other, string[s], nocase) {
                    return false;
                }
                s += 1;
            }
        }
        p += 1;
        if s == string.len() {
            while at(pattern, p) == b'*' && p < pattern.len() {
                p += 1;
            }
            break;
        }
    }
    p >= pattern.len() && s == string.len()
}

#[cfg(test)]
mod tests {
    use super::{glob_match, glob_match_nocase};

    fn m(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes())
    }

    #[test]
    fn redis_glob_rules() {
        // Checked against redis-server 7.0.15 with KEYS and an empty key.
        assert!(m("*", ""));
        assert!(!m("**", ""));
        assert!(!m("?", ""));
        assert!(m("", ""));
        assert!(m("*", "anything"));
        assert!(m("user:*", "user:1"));
        assert!(m("user:*", "user:"));
        assert!(!m("user:*", "users:1"));
        assert!(m("h?llo", "hello"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo"));
        assert!(!m("h[a-b]llo", "hcllo"));
        assert!(m("h\\*llo", "h*llo"));
        assert!(!m("h\\*llo", "hello"));
        assert!(m("[\\]]", "]"));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(!m("a*b*c", "aXXbYY"));
        assert!(m("a**", "a"));
        assert!(m("a*", "a"));
        assert!(!m("", "a"));
        assert!(m("", ""));
        assert!(!m("a", ""));
        // An unterminated class ends with the pattern.
        assert!(m("[ab", "a"));
        assert!(!m("[ab", "c"));
        // A trailing backslash matches itself.
        assert!(m("a\\", "a\\"));
    }

    #[test]
    fn long_stars_are_not_exponential() {
        let s = "a".repeat(60);
        assert!(!m(&format!("{}b", "a*".repeat(30)), &s));
        // The pattern behind CVE-2022-36021.
        let pattern = b"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
        assert!(!glob_match(pattern, &[b'a'; 64]));
        assert!(glob_match(pattern, b"aaaaaaaaaaaaaaaaaaaaaaaaaaaab"));
    }

    /// The case-insensitive matcher has the same cut-off: the engine's old
    /// backtracking matcher took 30 s and more on this pattern, doubling
    /// with every `*?`.
    #[test]
    fn pathological_case_insensitive_patterns_finish() {
        let pattern = format!("{}Q", "*?".repeat(21));
        let long = "x".repeat(300);
        let started = std::time::Instant::now();
        assert!(!glob_match_nocase(pattern.as_bytes(), long.as_bytes()));
        assert!(!glob_match(pattern.as_bytes(), long.as_bytes()));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let hit = format!("{}q", "x".repeat(300));
        assert!(glob_match_nocase(pattern.as_bytes(), hit.as_bytes()));
        assert!(!glob_match(pattern.as_bytes(), hit.as_bytes()));
    }

    /// `CONFIG GET <pattern>` answers from redis-server 7.0.15 (the only
    /// command matching case-insensitively), as pattern → whether it
    /// matches the parameter name.
    #[test]
    fn case_insensitive_rules() {
        let n = |p: &str, s: &str| glob_match_nocase(p.as_bytes(), s.as_bytes());
        assert!(n("MaxMemory-Polic?", "maxmemory-policy"));
        assert!(n("[M]axmemory", "maxmemory"));
        // An escaped byte in a class compares exactly.
        assert!(!n("[\\M]axmemory", "maxmemory"));
        assert!(n("[\\m]axmemory", "maxmemory"));
        // Both range ends and the byte are folded; reversed ranges swap.
        assert!(n("[L-N]axmemory", "maxmemory"));
        assert!(n("[n-l]axmemory", "maxmemory"));
        assert!(!n("[^M]axmemory", "maxmemory"));
        assert!(n("maxmemory-[P]olicy", "maxmemory-policy"));
        assert!(n("*-SAMPLES", "maxmemory-samples"));
        assert!(n("Maxmemory*Samples", "maxmemory-samples"));
        assert!(n("maxmemory-[^a-o]olicy", "maxmemory-policy"));
        assert!(!n("maxmemory-[^A-P]olicy", "maxmemory-policy"));
        // Outside a class an escape folds case too (`default:` in Redis).
        assert!(n("\\Max*", "maxmemory"));
        // The case-sensitive matcher does none of this.
        assert!(!m("[M]axmemory", "maxmemory"));
        assert!(!m("[L-N]axmemory", "maxmemory"));
        assert!(!m("*-SAMPLES", "maxmemory-samples"));
        // Everything else follows the case-sensitive rules.
        for (pattern, key) in [("*", ""), ("", ""), ("a*b*c", "AXXBYYC"), ("[ab", "A")] {
            assert!(n(pattern, key), "{pattern:?} {key:?}");
        }
        for (pattern, key) in [("**", ""), ("?", ""), ("a*b*c", "AXXBYY"), ("", "a")] {
            assert!(!n(pattern, key), "{pattern:?} {key:?}");
        }
    }

    /// `KEYS <pattern>` answers from redis-server 7.0.15 over the keys in
    /// `KEYS` (generated with a Python script against a real server).
    #[test]
    fn same_answers_as_redis_keys() {
        const CASES: &[(&str, &[&str])] = &[
            (
                r#"a*"#,
                &[
                    r#"a"#, r#"a*c"#, r#"a-c"#, r#"a?c"#, r#"a[c"#, r#"a\c"#, r#"a]c"#, r#"ab"#,
                    r#"abc"#, r#"abd"#,
                ],
            ),
            (
                r#"*c"#,
                &[
                    r#"a*c"#, r#"a-c"#, r#"a?c"#, r#"a[c"#, r#"a\c"#, r#"a]c"#, r#"abc"#,
                ],
            ),
            (
                r#"a?c"#,
                &[
                    r#"a*c"#, r#"a-c"#, r#"a?c"#, r#"a[c"#, r#"a\c"#, r#"a]c"#, r#"abc"#,
                ],
            ),
            (r#"a[bc]*"#, &[r#"ab"#, r#"abc"#, r#"abd"#]),
            (
                r#"a[^b]*"#,
                &[r#"a*c"#, r#"a-c"#, r#"a?c"#, r#"a[c"#, r#"a\c"#, r#"a]c"#],
            ),
            (r#"a[b-c]d"#, &[r#"abd"#]),
            (r#"a[c-b]d"#, &[r#"abd"#]),
            (r#"a\*c"#, &[r#"a*c"#]),
            (r#"a\?c"#, &[r#"a?c"#]),
            (r#"a[\]]c"#, &[r#"a]c"#]),
            (r#"a[]]c"#, &[]),
            (r#"[a-"#, &[r#"-"#, r#"a"#]),
            (r#"[a-]"#, &[r#"]"#, r#"a"#]),
            (r#"a[-]c"#, &[r#"a-c"#]),
            (r#"h\"#, &[r#"h\"#]),
            (r#"h\\"#, &[r#"h\"#]),
            (r#"*\"#, &[r#"h\"#]),
            (
                r#"[^a]*"#,
                &[
                    r#"-"#,
                    r#"]"#,
                    r#"^x"#,
                    r#"b"#,
                    r#"h\"#,
                    r#"hallo"#,
                    r#"hello"#,
                    r#"hxllo"#,
                    r#"user:"#,
                    r#"user:1"#,
                    r#"user:42"#,
                    r#"users:1"#,
                    r#"x^"#,
                ],
            ),
            (r#"?"#, &[r#"-"#, r#"]"#, r#"a"#, r#"b"#]),
            (r#"??"#, &[r#"^x"#, r#"ab"#, r#"h\"#, r#"x^"#]),
            (
                r#"*?*"#,
                &[
                    r#"-"#,
                    r#"]"#,
                    r#"^x"#,
                    r#"a"#,
                    r#"a*c"#,
                    r#"a-c"#,
                    r#"a?c"#,
                    r#"a[c"#,
                    r#"a\c"#,
                    r#"a]c"#,
                    r#"ab"#,
                    r#"abc"#,
                    r#"abd"#,
                    r#"b"#,
                    r#"h\"#,
                    r#"hallo"#,
                    r#"hello"#,
                    r#"hxllo"#,
                    r#"user:"#,
                    r#"user:1"#,
                    r#"user:42"#,
                    r#"users:1"#,
                    r#"x^"#,
                ],
            ),
            (r#"a*b*c"#, &[r#"abc"#]),
            (
                r#"a**c"#,
                &[
                    r#"a*c"#, r#"a-c"#, r#"a?c"#, r#"a[c"#, r#"a\c"#, r#"a]c"#, r#"abc"#,
                ],
            ),
            (r#"user:[0-9]*"#, &[r#"user:1"#, r#"user:42"#]),
            (r#"user:*"#, &[r#"user:"#, r#"user:1"#, r#"user:42"#]),
            (r#"[]"#, &[]),
            (r#"[]]"#, &[]),
            (
                r#"[!a]*"#,
                &[
                    r#"a"#, r#"a*c"#, r#"a-c"#, r#"a?c"#, r#"a[c"#, r#"a\c"#, r#"a]c"#, r#"ab"#,
                    r#"abc"#, r#"abd"#,
                ],
            ),
            (
                r#"[^]*"#,
                &[
                    r#"-"#,
                    r#"]"#,
                    r#"^x"#,
                    r#"a"#,
                    r#"a*c"#,
                    r#"a-c"#,
                    r#"a?c"#,
                    r#"a[c"#,
                    r#"a\c"#,
                    r#"a]c"#,
                    r#"ab"#,
                    r#"abc"#,
                    r#"abd"#,
                    r#"b"#,
                    r#"h\"#,
                    r#"hallo"#,
                    r#"hello"#,
                    r#"hxllo"#,
                    r#"user:"#,
                    r#"user:1"#,
                    r#"user:42"#,
                    r#"users:1"#,
                    r#"x^"#,
                ],
            ),
            (r#"x[^^]"#, &[]),
            (r#"[\^]x"#, &[r#"^x"#]),
            (r#"a["#, &[]),
            (r#"a[b"#, &[r#"ab"#]),
            (r#"*["#, &[]),
            (r#"\"#, &[]),
            (r#"a\"#, &[]),
            (
                r#"[a-c-e]*"#,
                &[
                    r#"-"#, r#"a"#, r#"a*c"#, r#"a-c"#, r#"a?c"#, r#"a[c"#, r#"a\c"#, r#"a]c"#,
                    r#"ab"#, r#"abc"#, r#"abd"#, r#"b"#,
                ],
            ),
            (
                r#"[z-a]*"#,
                &[
                    r#"a"#,
                    r#"a*c"#,
                    r#"a-c"#,
                    r#"a?c"#,
                    r#"a[c"#,
                    r#"a\c"#,
                    r#"a]c"#,
                    r#"ab"#,
                    r#"abc"#,
                    r#"abd"#,
                    r#"b"#,
                    r#"h\"#,
                    r#"hallo"#,
                    r#"hello"#,
                    r#"hxllo"#,
                    r#"user:"#,
                    r#"user:1"#,
                    r#"user:42"#,
                    r#"users:1"#,
                    r#"x^"#,
                ],
            ),
            (r#"h[a-e]llo"#, &[r#"hallo"#, r#"hello"#]),
            (r#"h[^e]llo"#, &[r#"hallo"#, r#"hxllo"#]),
        ];
        const KEYS: &[&str] = &[
            r#""#,
            r#"a"#,
            r#"b"#,
            r#"ab"#,
            r#"abc"#,
            r#"abd"#,
            r#"a*c"#,
            r#"a?c"#,
            r#"a[c"#,
            r#"a]c"#,
            r#"a\c"#,
            r#"a-c"#,
            r#"user:1"#,
            r#"user:42"#,
            r#"user:"#,
            r#"users:1"#,
            r#"h\"#,
            r#"^x"#,
            r#"x^"#,
            r#"hello"#,
            r#"hallo"#,
            r#"hxllo"#,
            r#"-"#,
            r#"]"#,
        ];
        for (pattern, matched) in CASES {
            for key in KEYS {
                assert_eq!(
                    m(pattern, key),
                    matched.contains(key),
                    "pattern {pattern:?} key {key:?}"
                );
            }
        }
    }
}
