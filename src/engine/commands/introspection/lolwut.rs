//! LOLWUT [VERSION v]: Redis 7.0's default answer, the version line.
//! The art of versions 5 and 6 is drawn with `rand()` and differs from call
//! to call on redis-server too.

use crate::engine::Ctx;
use crate::engine::command::{CmdResult, CommandSpec, flags::*};
use crate::engine::util::args::{self, is};
use crate::protocol::Reply;

pub(crate) const COMMANDS: &[CommandSpec] =
    &[CommandSpec::new("lolwut", -1, lolwut).flags(READONLY | FAST)];

fn lolwut(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.len() >= 3 && is(ctx.arg(1), "version") {
        args::int(ctx.arg(2))?;
    }
    let text = format!("Redis ver. {}\n", ctx.engine.config.redis_version);
    Ok(Reply::Verbatim {
        format: *b"txt",
        text: text.into(),
    })
}
