//! Differential tests: Lua scripting (EVAL, EVALSHA, EVAL_RO, SCRIPT),
//! byte for byte against a real redis-server, in RESP2 and RESP3 (see
//! tests/diff/script.rs for the script format). Lua code goes in `'...'`
//! (literal), so Lua strings inside use double quotes.

const SCRIPT: &str = r#"
## eval returns
EVAL 'return 1' 0
EVAL 'return 3.99' 0
EVAL 'return -3.99' 0
EVAL 'return -0.5' 0
EVAL 'return 1e20' 0
EVAL 'return 0/0' 0
EVAL 'return 1/0' 0
EVAL 'return "x"' 0
EVAL 'return true' 0
EVAL 'return false' 0
EVAL 'return nil' 0
EVAL 'return {}' 0
EVAL 'return {true, false, 1}' 0
EVAL 'return {1, nil, 3}' 0
EVAL 'return {1, 2, 3.7, "a", nil, 5}' 0
EVAL 'local t = {} ; t[1] = "a" ; t[3] = "c"; return t' 0
EVAL 'return {1,2,x=3}' 0
EVAL 'return {ok=5}' 0
EVAL 'return {err=5}' 0
EVAL 'return {ok="fine"}' 0
EVAL 'return {err="BAD thing"}' 0
EVAL 'return {err="-BAD thing"}' 0
EVAL 'return {1, {2, "x", {err="e"}}, redis.status_reply("k")}' 0
EVAL 'return {double=1.5}' 0
EVAL 'return {map={a=1}}' 0
EVAL 'return {set={a=true}}' 0
EVAL 'return {big_number="123"}' 0
EVAL 'return {verbatim_string={format="txt", string="x"}}' 0
EVAL 'local function f() end; return f' 0
EVAL 'return {ok="a\r\nb"}' 0
EVAL "return {ok='a\r\nb'}" 0
EVAL "return {err='a\r\nb'}" 0
EVAL "return redis.error_reply('a\r\nb')" 0

## resp3 returns
EVAL 'redis.setresp(3); return true' 0
EVAL 'redis.setresp(3); return false' 0
EVAL 'redis.setresp(3); return {double=1.5}' 0
EVAL 'redis.setresp(3); return {map={a=1}}' 0
EVAL 'redis.setresp(3); return {set={a=true}}' 0
EVAL 'redis.setresp(3); return {big_number="123"}' 0
EVAL 'redis.setresp(3); return {verbatim_string={format="txt", string="x"}}' 0
EVAL 'redis.setresp(2); return false' 0

## keys and argv
EVAL 'return KEYS' 2 a b c d
EVAL 'return ARGV' 2 a b c d
EVAL 'return #KEYS' 0
EVAL 'KEYS[1] = 1; return KEYS' 0
EVAL 'return 1' 3 a b
EVAL 'return 1' -1
EVAL 'return 1' x
EVAL 'return 1'

## redis.call replies
SET s abc
EVAL 'return redis.call("get", KEYS[1])' 1 s
EVAL 'return redis.call("get", "nokey")' 0
EVAL 'return {redis.call("get", "nokey"), 1}' 0
EVAL 'return redis.call("ping")' 0
EVAL 'return redis.call("incr", "counter")' 0
EVAL 'return redis.call("set", "x", 1.5)' 0
GET x
EVAL 'return redis.call("set", "x", 0.1)' 0
GET x
EVAL 'return redis.call("set", "x", 100)' 0
EVAL 'return redis.call("GET", "x")' 0
RPUSH l a b c
EVAL 'return redis.call("lrange", "l", 0, -1)' 0
HSET h f v
EVAL 'return redis.call("hgetall", "h")' 0
EVAL 'redis.setresp(3); return redis.call("hgetall", "h")' 0
EVAL 'redis.setresp(3); local r = redis.call("hgetall", "h"); return r.map.f' 0
EVAL 'redis.setresp(3); return redis.call("hgetall", "nohash")' 0
EVAL 'redis.setresp(3); return redis.call("get", "nokey")' 0
EVAL 'redis.setresp(3); return type(redis.call("get", "nokey"))' 0
EVAL 'return type(redis.call("get", "nokey"))' 0
EVAL 'return redis.call("select", 1)' 0
EVAL 'return redis.call("type", "s")' 0
EVAL 'return redis.call("type", "s").ok' 0

## redis.call errors
EVAL 'return redis.call("incr", KEYS[1])' 1 s
EVAL 'return redis.pcall("incr", KEYS[1])' 1 s
EVAL 'local t = redis.pcall("incr", "s"); return type(t) .. t.err' 0
EVAL 'return redis.call()' 0
EVAL 'return redis.pcall()' 0
EVAL 'return redis.call({})' 0
EVAL 'return redis.call("get", {})' 0
EVAL 'return redis.call("nosuch")' 0
EVAL 'return redis.pcall("nosuch")' 0
EVAL 'return redis.call("get", "a", "b")' 0
EVAL 'return redis.call("incr", "counter", "x")' 0
EVAL 'return redis.call("lpush", "s", 1)' 0
EVAL 'return redis.pcall("lpush", "s", 1)' 0
EVAL 'local ok, e = pcall(redis.call, "incr", "s"); return type(e)' 0
EVAL 'local ok, e = pcall(redis.call, "incr", "s"); return e' 0
EVAL 'local ok, e = pcall(redis.call, "nosuch"); return e' 0
EVAL 'local ok, e = pcall(function() redis.call("nosuch") end); return e' 0
EVAL 'local ok, e = pcall(error, "x"); return e' 0
EVAL 'local a = {pcall(error, {err="x"})}; return a[2]' 0
EVAL 'return {pcall(error)}' 0

## commands refused in scripts
EVAL 'return redis.call("eval", "return 1", 0)' 0
EVAL 'return redis.call("blpop", "l", 0)' 0
EVAL 'return redis.call("brpoplpush", "a", "b", 0)' 0
EVAL 'return redis.call("multi")' 0
EVAL 'return redis.call("exec")' 0
EVAL 'return redis.call("watch", "x")' 0
EVAL 'return redis.call("subscribe", "x")' 0
EVAL 'return redis.call("client", "info")' 0
EVAL 'return redis.call("script", "load", "return 1")' 0
EVAL 'return redis.call("config", "get", "maxmemory")' 0
EVAL 'return redis.call("auth", "x")' 0
EVAL 'return redis.call("hello")' 0
EVAL 'return redis.call("quit")' 0
EVAL 'return redis.call("wait", 0, 0)' 0

## script errors
EVAL 'error("boom")' 0
EVAL 'error({err="MY boom"})' 0
EVAL 'error()' 0
EVAL 'error(nil)' 0
EVAL 'error(5)' 0
EVAL 'error("x", 0)' 0
EVAL 'error("x", 2)' 0
EVAL 'local t = setmetatable({}, {__index=function() error("in") end}); return t.x' 0
EVAL 'return string.rep()' 0
EVAL 'return ("x"):rep()' 0
EVAL 'return 1 +' 0
EVAL 'return "x' 0
EVAL 'local x = 1
local y = 2
error("line three")' 0
EVAL 'return loadstring("return 1")()' 0
EVAL 'return loadstring("return nosuch")()' 0

## sandbox
EVAL 'string.foo = 1' 0
EVAL 'foo = 1' 0
EVAL 'x = 1' 0
EVAL 'KEYS = 1' 0
EVAL 'redis = nil' 0
EVAL 'redis.call = nil' 0
EVAL '_G.x = 1' 0
EVAL 'rawset(_G, "x", 1)' 0
EVAL 'return foo' 0
EVAL 'return print' 0
EVAL 'return os' 0
EVAL 'return io' 0
EVAL 'return debug' 0
EVAL 'return loadfile' 0
EVAL 'return dofile' 0
EVAL 'return getfenv' 0
EVAL 'return setfenv' 0
EVAL 'return newproxy' 0
EVAL 'return require' 0
EVAL 'return package' 0
EVAL 'return rawget(_G, "redis") ~= nil' 0
EVAL 'return getmetatable(_G) ~= nil' 0
EVAL 'local mt = getmetatable("") ; mt.__index = nil; return 1' 0
EVAL 'return _VERSION' 0
EVAL 'return type(cjson)..type(bit)..type(coroutine)..type(loadstring)..type(_G)' 0
EVAL 'return type(unpack)..type(load)..type(xpcall)..type(select)..type(collectgarbage)..type(rawequal)' 0
EVAL 'return type(string.format)..type(table.concat)..type(math.floor)..type(tostring)..type(tonumber)' 0
EVAL 'return loadstring("x = 1")()' 0
EVAL 'return string.format("%d %s %5.2f", 3, "a", 1.5)' 0
EVAL 'return coroutine.create(function() end)' 0

## redis library
EVAL 'return redis.error_reply("x")' 0
EVAL 'return redis.error_reply("-x y")' 0
EVAL 'return redis.error_reply("MY code")' 0
EVAL 'return redis.status_reply("x")' 0
EVAL 'return redis.error_reply()' 0
EVAL 'return redis.error_reply(1)' 0
EVAL 'return redis.status_reply()' 0
EVAL 'return redis.sha1hex("")' 0
EVAL 'return redis.sha1hex("abc")' 0
EVAL 'return redis.sha1hex()' 0
EVAL 'return redis.setresp(4)' 0
EVAL 'return redis.setresp()' 0
EVAL 'return redis.log(redis.LOG_WARNING, "hi")' 0
EVAL 'return redis.log()' 0
EVAL 'return redis.log("x", "y")' 0
EVAL 'return redis.log(99, "y")' 0
EVAL 'return redis.set_repl(redis.REPL_ALL)' 0
EVAL 'return redis.set_repl(99)' 0
EVAL 'return redis.set_repl()' 0
EVAL 'return redis.replicate_commands()' 0
EVAL 'return redis.breakpoint()' 0
EVAL 'return redis.debug("x")' 0
EVAL 'return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}' 0
EVAL 'return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}' 0
EVAL 'return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}' 0

## math.random
// One generator for the whole server: each script seeds it, so the case
// does not depend on what ran before (the unit tests in rand48.rs check
// the sequence of a fresh server).
EVAL 'math.randomseed(1); return math.random(100)' 0
EVAL 'math.randomseed(2); return {math.random(1,1000), math.random(1,1000)}' 0
EVAL 'math.randomseed(5); return {math.random(1,1000), math.random(1,1000)}' 0
EVAL 'math.randomseed(7); return tostring(math.random())' 0
EVAL 'math.randomseed(-3); return {math.random(-10, 10), math.random(3)}' 0
EVAL 'return math.randomseed()' 0
EVAL 'return math.random(0)' 0
EVAL 'return math.random(1, 2, 3)' 0
EVAL 'return math.random("x")' 0

## cjson and bit
EVAL 'return cjson.encode({1,2,{a=1}})' 0
EVAL 'return cjson.decode("[1,2,null,{\"a\":[true,false]}]")[4].a[1]' 0
EVAL 'return cjson.encode(cjson.decode("{\"a\":1.5,\"b\":\"x\",\"c\":[]}"))' 0
EVAL 'return cjson.encode({})' 0
EVAL 'return cjson.encode(1/3)' 0
EVAL 'return cjson.encode("a\"\\/\n\1")' 0
EVAL 'return cjson.decode("bogus")' 0
EVAL 'return cjson.decode("[1,")' 0
EVAL 'return cjson.decode("{\"a\" 1}")' 0
EVAL 'return cjson.encode({[1]=1,[3]=3})' 0
EVAL 'return cjson.encode({[1]=1,[30]=3})' 0
EVAL 'return cjson.encode(cjson.null)' 0
EVAL 'return cjson.decode("null") == cjson.null' 0
EVAL 'return cjson.decode("\"\\u00e9\"")' 0
EVAL 'return cjson.encode(0/0)' 0
EVAL 'return cjson.encode(function() end)' 0
EVAL 'return bit.band(0xff, 0x0f) .. " " .. bit.bor(1,2) .. " " .. bit.bxor(3,1) .. " " .. bit.lshift(1,31) .. " " .. bit.rshift(-1, 28) .. " " .. bit.arshift(-16, 2) .. " " .. bit.bnot(0) .. " " .. bit.tobit(2^32+5) .. " " .. bit.tohex(255) .. " " .. bit.tohex(-1, -4) .. " " .. bit.rol(1, 33) .. " " .. bit.ror(1,1) .. " " .. bit.bswap(0x12345678)' 0
EVAL 'return bit.band()' 0
EVAL 'return bit.tobit("x")' 0
EVAL 'bit.x = 1' 0
EVAL 'cjson.x = 1' 0

## shebang flags
EVAL '#!lua flags=no-writes
return redis.call("set","a","b")' 0
EVAL '#!lua
return redis.call("set","a","b")' 0
EVAL '#!lua flags=bogus
return 1' 0
EVAL '#!luax
return 1' 0
EVAL '#!lua name=x
return 1' 0
EVAL '#!lua flags=no-writes,allow-oom
return 1' 0
EVAL '#!lua flags=no-writes
return 1' 1 k
EVAL '#!lua flags=allow-cross-slot-keys,no-cluster,allow-stale
return 1' 0
EVAL '#!lua' 0
EVAL '#!lua
error("x")' 0
EVAL '#!lua flags=
return 1' 0

## eval_ro
EVAL_RO 'return redis.call("set","a","b")' 0
EVAL_RO 'return redis.call("get","a")' 0
EVAL_RO 'return redis.pcall("set","a","b")' 0
EVAL_RO '#!lua
return 1' 0
EVAL_RO '#!lua flags=no-writes
return redis.call("get","a")' 0

## script management
SCRIPT LOAD 'return 1'
EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
EVALSHA E0E1F9FABFC9D4800C877A703B823AC0578FF8DB 0
EVALSHA_RO e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
SCRIPT EXISTS e0e1f9fabfc9d4800c877a703b823ac0578ff8db abc E0E1F9FABFC9D4800C877A703B823AC0578FF8DB
EVALSHA abc 0
EVALSHA ffffffffffffffffffffffffffffffffffffffff 0
SCRIPT LOAD 'return 1 +'
SCRIPT LOAD '#!lua flags=bogus
return 1'
SCRIPT FLUSH
SCRIPT EXISTS e0e1f9fabfc9d4800c877a703b823ac0578ff8db
EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
EVAL 'return 1' 0
SCRIPT EXISTS e0e1f9fabfc9d4800c877a703b823ac0578ff8db
SCRIPT FLUSH ASYNC
SCRIPT FLUSH sync
SCRIPT FLUSH bogus
SCRIPT FLUSH sync async
SCRIPT KILL
SCRIPT HELP
SCRIPT bogus
SCRIPT
SCRIPT LOAD
SCRIPT EXISTS
SCRIPT DEBUG NO
SCRIPT DEBUG bogus

## flushall keeps scripts
SCRIPT LOAD 'return 2'
FLUSHALL
SCRIPT EXISTS 7f923f79fe76194c868d7e1d0820de36700eb649

## eval in multi
MULTI
EVAL 'return redis.call("incr", "m")' 0
EVAL 'return redis.call("incr", "m")' 0
EXEC
MULTI
EVAL 'return 1'
EXEC

## watch sees a script's writes
SET w 1
WATCH w
EVAL 'return redis.call("incr", "w")' 0
MULTI
GET w
EXEC
WATCH w
EVAL_RO 'return redis.call("get", "w")' 0
MULTI
GET w
EXEC

## select inside a script does not move the caller
SET here 1
EVAL 'redis.call("select", 2); return redis.call("get", "here")' 0
GET here

## command info
COMMAND INFO eval evalsha eval_ro evalsha_ro
COMMAND GETKEYS EVAL 'return 1' 2 a b c
"#;

#[tokio::test]
async fn scripting() {
    crate::script::run(SCRIPT).await;
}
