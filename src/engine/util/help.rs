//! The `<CONTAINER> HELP` replies (CLIENT HELP, CONFIG HELP, OBJECT HELP, ...)
//! in Redis's layout. Each container's lines stay with its commands; this
//! builds the frame around them.

use crate::protocol::Reply;

/// A `<CONTAINER> HELP` reply in Redis's layout: the usage line, the
/// container's `lines`, then `HELP` and its description.
pub(crate) fn help_reply(container: &str, lines: &[&'static str]) -> Reply {
    let mut out = vec![Reply::simple(format!(
        "{container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ))];
    out.extend(lines.iter().map(|l| Reply::simple(*l)));
    out.push(Reply::simple("HELP"));
    out.push(Reply::simple("    Prints this help."));
    Reply::Array(out)
}
