//! Startup-only settings a running server takes from its owner, as Redis
//! takes them from its configuration file: `enable-debug-command`.

use super::MockRedis;

impl MockRedis {
    /// Who may run `DEBUG` (Redis's `enable-debug-command`, which `CONFIG
    /// SET` refuses to change): `"yes"`, `"no"` or `"local"` (Unix socket
    /// and loopback clients only). The library's default is `local`, so a
    /// test's own connections may run `DEBUG SLEEP`; the `mock-redis`
    /// binary sets Redis's default, `no`, unless given
    /// `--enable-debug-command`. A refused client gets Redis's `DEBUG
    /// command not allowed ...` error.
    ///
    /// # Panics
    ///
    /// On any other value.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.set_enable_debug_command("no");
    /// let mut conn = redis::Client::open(server.url()).unwrap().get_connection().unwrap();
    /// let err = redis::cmd("DEBUG").arg("SLEEP").arg(0).query::<()>(&mut conn).unwrap_err();
    /// assert!(err.to_string().contains("DEBUG command not allowed"));
    /// ```
    pub fn set_enable_debug_command(&self, value: &str) {
        let value = value.to_ascii_lowercase();
        assert!(
            matches!(value.as_str(), "yes" | "no" | "local"),
            "enable-debug-command must be yes, no or local, not {value:?}"
        );
        let mut engine = self.shared().engine();
        let _ = engine.runtime.set_fixed("enable-debug-command", &value);
    }
}
