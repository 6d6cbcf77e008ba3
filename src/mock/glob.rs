//! Redis's glob-style pattern matching (`stringmatchlen` in `util.c`), as
//! `KEYS`, `SCAN MATCH` and the [`key`](crate::matchers::key) matcher use it.

/// Whether `string` matches the glob `pattern` with Redis's rules: `*`, `?`,
/// `[abc]`, `[^a]`, `[a-z]` (reversed ranges allowed) and backslash escapes.
/// A lone `*` matches everything, the empty string included, as `KEYS *`
/// does (`stringmatchlen` itself does not match `""`).
pub(crate) fn glob_match(pattern: &[u8], string: &[u8]) -> bool {
    if pattern == b"*" {
        return true;
    }
    let mut skip_longer = false;
    matches(pattern, string, &mut skip_longer)
}

/// The byte at `i`, or NUL past the end (the C code reads the terminator).
fn at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

fn matches(pattern: &[u8], string: &[u8], skip_longer: &mut bool) -> bool {
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
                    if matches(&pattern[p + 1..], &string[s..], skip_longer) {
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
                        p += 2;
                        if (start..=end).contains(&c) {
                            matched = true;
                        }
                    } else if pattern[p] == c {
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
                if pattern[p] != string[s] {
                    return false;
                }
                s += 1;
            }
            other => {
                if other != string[s] {
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
    use super::glob_match;

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
