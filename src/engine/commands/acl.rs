//! ACL: SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI, CAT, GENPASS, LOG,
//! DRYRUN, LOAD, SAVE and HELP, over the model in `engine/acl/`; the
//! credential check AUTH and HELLO use ([`authenticate`]); and the
//! permission gate the dispatcher runs before a command and again at EXEC
//! ([`Engine::acl_gate`]).

use std::time::Instant;

use bytes::Bytes;

use super::client::client_line;
use crate::engine::acl::index::{Index, categories, category};
use crate::engine::acl::log::{Context, Reason};
use crate::engine::acl::selector::{Selector, has_spaces};
use crate::engine::acl::user::{User, merge_selector_args};
use crate::engine::acl::{self, Denied};
use crate::engine::command::{
    CmdResult, CommandName, CommandSpec, CommandTable, Resolved, acl as cat, flags::*, full_name,
};
use crate::engine::util::args;
use crate::engine::util::errors::{err, subcommand_syntax_error, wrong_arity};
use crate::engine::util::help::help_reply;
use crate::engine::{Client, Ctx, Engine};
use crate::protocol::Reply;

const ADMIN_FLAGS: u32 = ADMIN | NOSCRIPT | LOADING | STALE;
const PLAIN_FLAGS: u32 = NOSCRIPT | LOADING | STALE;

pub(crate) const COMMANDS: &[CommandSpec] = &[CommandSpec::container("acl", SUBCOMMANDS)
    .acl(cat::SLOW)
    .doc(
        "server",
        "6.0.0",
        "Depends on subcommand.",
        "A container for Access List Control commands ",
    )];

const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("cat", -2, acl_cat).flags(PLAIN_FLAGS).doc(
        "server",
        "6.0.0",
        "O(1) since the categories and commands are a fixed set.",
        "List the ACL categories or the commands inside a category",
    ),
    CommandSpec::new("deluser", -3, acl_deluser)
        .flags(ADMIN_FLAGS)
        .doc(
            "server",
            "6.0.0",
            "O(1) amortized time considering the typical user.",
            "Remove the specified ACL users and the associated rules",
        ),
    CommandSpec::new("dryrun", -4, acl_dryrun)
        .flags(ADMIN_FLAGS)
        .doc(
            "server",
            "7.0.0",
            "O(1).",
            "Returns whether the user can execute the given command without executing the command.",
        ),
    CommandSpec::new("genpass", -2, acl_genpass)
        .flags(PLAIN_FLAGS)
        .doc(
            "server",
            "6.0.0",
            "O(1)",
            "Generate a pseudorandom secure password to use for ACL users",
        ),
    CommandSpec::new("getuser", 3, acl_getuser)
        .flags(ADMIN_FLAGS)
        .doc(
            "server",
            "6.0.0",
            "O(N). Where N is the number of password, command and pattern rules that the user has.",
            "Get the rules for a specific ACL user",
        ),
    CommandSpec::new("help", 2, acl_help)
        .flags(LOADING | STALE)
        .doc(
            "server",
            "6.0.0",
            "O(1)",
            "Show helpful text about the different subcommands",
        ),
    CommandSpec::new("list", 2, acl_list)
        .flags(ADMIN_FLAGS)
        .doc(
            "server",
            "6.0.0",
            "O(N). Where N is the number of configured users.",
            "List the current ACL rules in ACL config file format",
        ),
    CommandSpec::new("load", 2, acl_load)
        .flags(ADMIN_FLAGS)
        .doc(
            "server",
            "6.0.0",
            "O(N). Where N is the number of configured users.",
            "Reload the ACLs from the configured ACL file",
        ),
    CommandSpec::new("log", -2, acl_log).flags(ADMIN_FLAGS).doc(
        "server",
        "6.0.0",
        "O(N) with N being the number of entries shown.",
        "List latest events denied because of ACLs in place",
    ),
    CommandSpec::new("save", 2, acl_save)
        .flags(ADMIN_FLAGS)
        .doc(
            "server",
            "6.0.0",
            "O(N). Where N is the number of configured users.",
            "Save the current ACL rules in the configured ACL file",
        ),
    CommandSpec::new("setuser", -3, acl_setuser)
        .flags(ADMIN_FLAGS)
        .doc(
            "server",
            "6.0.0",
            "O(N). Where N is the number of rules provided.",
            "Modify or create the rules for a specific ACL user",
        ),
    CommandSpec::new("users", 2, acl_users)
        .flags(ADMIN_FLAGS)
        .doc(
            "server",
            "6.0.0",
            "O(N). Where N is the number of configured users.",
            "List the username of all the configured ACL rules",
        ),
    CommandSpec::new("whoami", 2, acl_whoami)
        .flags(PLAIN_FLAGS)
        .doc(
            "server",
            "6.0.0",
            "O(1)",
            "Return the name of the user associated to the current connection",
        ),
];

/// A client's `CLIENT INFO` line without its newline (the ACL log's
/// `client-info`).
pub(crate) fn client_info(engine: &Engine, client: &Client) -> String {
    let mut line = client_line(engine, client, None, Instant::now(), false);
    line.pop();
    line
}

impl Engine {
    /// The ACL check of Redis's `processCommand` (after authentication,
    /// before MULTI queueing): a denial is logged and answers NOPERM.
    pub(crate) fn acl_gate(
        &mut self,
        client: &mut Client,
        spec: &'static CommandSpec,
        parent: Option<&'static CommandSpec>,
        args: &[Bytes],
    ) -> Result<(), Reply> {
        // Redis sets the client's last command at lookup, so a denial's
        // `client-info` names it.
        client.last_command = CommandName::of(spec, parent);
        let context = if client.multi.is_some() {
            Context::Multi
        } else {
            Context::Toplevel
        };
        self.acl_check(client, spec, parent, args, context, client_info)
            .map_err(|d| acl::noperm(d, &full_name(spec, parent)))
    }

    /// The check EXEC repeats for each queued command, in case the rules
    /// changed since it was queued.
    pub(crate) fn acl_gate_at_exec(
        &mut self,
        client: &Client,
        spec: &'static CommandSpec,
        parent: Option<&'static CommandSpec>,
        args: &[Bytes],
    ) -> Result<(), Reply> {
        self.acl_check(client, spec, parent, args, Context::Multi, client_info)
            .map_err(acl::noperm_at_exec)
    }

    /// The check `redis.call` runs for a script's client: `Err` holds the
    /// error the script raises.
    #[cfg_attr(not(feature = "scripting"), allow(dead_code))]
    pub(crate) fn acl_gate_in_script(
        &mut self,
        client: &Client,
        spec: &'static CommandSpec,
        parent: Option<&'static CommandSpec>,
        args: &[Bytes],
    ) -> Result<(), &'static str> {
        self.acl_check(client, spec, parent, args, Context::Lua, |_, c| {
            c.script_caller_info.clone().unwrap_or_default()
        })
        .map_err(acl::noperm_in_script)
    }

    /// What a script's client carries of its caller: the user, and (when
    /// the user has restrictions) the caller's line for the ACL log.
    #[cfg_attr(not(feature = "scripting"), allow(dead_code))]
    pub(crate) fn acl_script_client(&self, caller: &Client, script: &mut Client) {
        script.user = caller.user.clone();
        let restricted = self.acl.users.get(&caller.user).is_some_and(|u| {
            !u.selectors
                .iter()
                .any(|s| s.allcommands && s.allkeys && s.allchannels)
        });
        if restricted {
            script.script_caller_info = Some(client_info(self, caller));
        }
    }
}

/// Checks `username`/`password` (Redis's `ACLAuthenticateUser`): on
/// success the client is authenticated as that user; a failure is logged
/// (`object`: the command name as sent).
pub(crate) fn authenticate(ctx: &mut Ctx<'_>, username: &Bytes, password: &[u8]) -> bool {
    let ok = ctx
        .engine
        .acl
        .users
        .get(username)
        .is_some_and(|u| u.password_ok(password));
    if ok {
        ctx.client.authenticated = true;
        ctx.client.user = username.clone();
    } else {
        let object = ctx.arg(0);
        let context = if ctx.client.multi.is_some() {
            Context::Multi
        } else {
            Context::Toplevel
        };
        let info = client_info(ctx.engine, ctx.client);
        ctx.engine.acl_log(
            Reason::Auth,
            context,
            object.clone(),
            username.clone(),
            info,
        );
    }
    ok
}

fn quoted(text: &[u8]) -> String {
    String::from_utf8_lossy(text).into_owned()
}

fn acl_setuser(ctx: &mut Ctx<'_>) -> CmdResult {
    let name = ctx.arg(2);
    if has_spaces(name) {
        return Err(err("ERR Usernames can't contain spaces or null characters"));
    }
    let rules = merge_selector_args(&ctx.args[3..]).map_err(|j| {
        Reply::error(format!(
            "ERR Unmatched parenthesis in acl selector starting at '{}'.",
            quoted(&ctx.args[3 + j])
        ))
    })?;
    let allchannels = ctx.engine.acl_pubsub_default();
    let old = ctx.engine.acl.users.get(name).cloned();
    let mut user = old
        .clone()
        .unwrap_or_else(|| User::new(name.clone(), allchannels));
    for rule in &rules {
        user.apply(rule, allchannels).map_err(|e| {
            Reply::error(format!(
                "ERR Error in ACL SETUSER modifier '{}': {}",
                quoted(rule),
                e.text()
            ))
        })?;
    }
    if let Some(old) = &old {
        ctx.engine.acl_kill_pubsub_clients(ctx.client, old, &user);
    }
    ctx.engine.acl.users.insert(name.clone(), user);
    Ok(Reply::ok())
}

fn acl_deluser(ctx: &mut Ctx<'_>) -> CmdResult {
    let names = &ctx.args[2..];
    if names.iter().any(|n| n.as_ref() == b"default") {
        return Err(err("ERR The 'default' user cannot be removed"));
    }
    let mut deleted = Vec::new();
    for n in names {
        if ctx.engine.acl.users.remove(n).is_some() {
            deleted.push(n.clone());
        }
    }
    ctx.engine.acl_kill_clients_of(ctx.client, &deleted);
    Ok(Reply::int(deleted.len() as i64))
}

fn selector_fields(s: &Selector) -> Vec<(Reply, Reply)> {
    let channels = if s.allchannels {
        "&*".to_string()
    } else {
        s.channels
            .iter()
            .map(|c| format!("&{}", quoted(c)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    vec![
        (Reply::bulk("commands"), Reply::bulk(s.describe_commands())),
        (
            Reply::bulk("keys"),
            Reply::bulk(s.describe_keys().join(" ")),
        ),
        (Reply::bulk("channels"), Reply::bulk(channels)),
    ]
}

fn acl_getuser(ctx: &mut Ctx<'_>) -> CmdResult {
    let Some(user) = ctx.engine.acl.users.get(ctx.arg(2)) else {
        return Ok(Reply::Nil);
    };
    let mut fields = vec![
        (
            Reply::bulk("flags"),
            Reply::Set(user.flag_names().map(Reply::bulk).collect()),
        ),
        (
            Reply::bulk("passwords"),
            Reply::Array(
                user.passwords
                    .iter()
                    .map(|p| Reply::bulk(p.clone()))
                    .collect(),
            ),
        ),
    ];
    fields.extend(selector_fields(&user.selectors[0]));
    fields.push((
        Reply::bulk("selectors"),
        Reply::Array(
            user.selectors[1..]
                .iter()
                .map(|s| Reply::Map(selector_fields(s)))
                .collect(),
        ),
    ));
    Ok(Reply::Map(fields))
}

fn acl_list(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Reply::Array(
        ctx.engine
            .acl
            .users
            .iter()
            .map(|(name, u)| Reply::bulk(format!("user {} {}", quoted(name), u.describe())))
            .collect(),
    ))
}

fn acl_users(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Reply::Array(
        ctx.engine
            .acl
            .users
            .keys()
            .cloned()
            .map(Reply::Bulk)
            .collect(),
    ))
}

fn acl_whoami(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Reply::Bulk(ctx.client.user.clone()))
}

const NO_ACL_FILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may \
want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you \
have a Redis configuration file set) in order to store users in the Redis configuration.";

fn acl_load(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.engine.aclfile().is_none() {
        return Err(err(NO_ACL_FILE));
    }
    ctx.engine
        .acl_load_file(Some(ctx.client))
        .map_err(|e| Reply::error(format!("ERR {e}")))?;
    Ok(Reply::ok())
}

fn acl_save(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.engine.aclfile().is_none() {
        return Err(err(NO_ACL_FILE));
    }
    ctx.engine.acl_save_file().map_err(|_| {
        err("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
    })?;
    Ok(Reply::ok())
}

fn acl_cat(ctx: &mut Ctx<'_>) -> CmdResult {
    match ctx.args.len() {
        2 => Ok(Reply::Array(
            categories().map(|(_, n)| Reply::bulk(n)).collect(),
        )),
        3 => {
            let bit = category(ctx.arg(2));
            if bit == 0 {
                let name = crate::engine::util::errors::c_bytes(ctx.arg(2), 128);
                return Err(Reply::error(format!(
                    "ERR Unknown category '{}'",
                    quoted(name)
                )));
            }
            Ok(Reply::Array(
                Index::get()
                    .entries
                    .iter()
                    .filter(|e| e.cats & bit != 0)
                    .map(|e| Reply::bulk(e.fullname.clone()))
                    .collect(),
            ))
        }
        _ => Err(subcommand_syntax_error(ctx.arg(1), "ACL")),
    }
}

fn acl_genpass(ctx: &mut Ctx<'_>) -> CmdResult {
    let bits = match ctx.args.len() {
        2 => 256,
        3 => args::int(ctx.arg(2))?,
        _ => return Err(subcommand_syntax_error(ctx.arg(1), "ACL")),
    };
    if bits <= 0 || bits > 4096 {
        return Err(err(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096",
        ));
    }
    let chars = (bits as usize).div_ceil(4);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(chars);
    while out.len() < chars {
        let mut word = ctx.engine.random.next_u64();
        for _ in 0..16 {
            if out.len() == chars {
                break;
            }
            out.push(HEX[(word & 15) as usize]);
            word >>= 4;
        }
    }
    Ok(Reply::Bulk(Bytes::from(out)))
}

fn acl_log(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut count = 10;
    match ctx.args.len() {
        2 => {}
        3 if args::is(ctx.arg(2), "reset") => {
            ctx.engine.acl.log.reset();
            return Ok(Reply::ok());
        }
        3 => count = args::int(ctx.arg(2))?.max(0),
        _ => return Err(subcommand_syntax_error(ctx.arg(1), "ACL")),
    }
    let now = ctx.engine.now_ms();
    Ok(ctx.engine.acl.log.reply(count as usize, now))
}

fn acl_dryrun(ctx: &mut Ctx<'_>) -> CmdResult {
    let Some(user) = ctx.engine.acl.users.get(ctx.arg(2)) else {
        return Err(Reply::error(format!(
            "ERR User '{}' not found",
            quoted(ctx.arg(2))
        )));
    };
    let argv = &ctx.args[3..];
    let Resolved::Found(spec, parent) = CommandTable::get().resolve(argv) else {
        return Err(Reply::error(format!(
            "ERR Command '{}' not found",
            quoted(&argv[0])
        )));
    };
    if !spec.arity_ok(argv.len()) {
        return Err(wrong_arity(&full_name(spec, parent)));
    }
    match acl::check(user, spec, parent, argv) {
        Ok(()) => Ok(Reply::ok()),
        Err(Denied { reason, pos }) => Ok(Reply::bulk(match reason {
            Reason::Command => format!(
                "This user has no permissions to run the '{}' command",
                full_name(spec, parent)
            ),
            Reason::Key => format!(
                "This user has no permissions to access the '{}' key",
                quoted(&argv[pos])
            ),
            _ => format!(
                "This user has no permissions to access the '{}' channel",
                quoted(&argv[pos])
            ),
        })),
    }
}

fn acl_help(_: &mut Ctx<'_>) -> CmdResult {
    Ok(help_reply(
        "ACL",
        &[
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ],
    ))
}
