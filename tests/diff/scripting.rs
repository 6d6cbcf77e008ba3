//! Differential tests: Lua scripting (EVAL, EVALSHA, EVAL_RO, SCRIPT),
//! byte for byte against a real redis-server, in RESP2 and RESP3 (see
//! tests/diff/script.rs for the script format). Lua code goes in `'...'`
//! (literal), so Lua strings inside use double quotes; code of several
//! lines goes in `"..."` with `\n`.

const SCRIPT: &str = r##"
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

## redis.call arguments: numbers (%.17g) and numeric-looking strings (as given)
EVAL 'redis.call("set", "x", 0.1 * 3 * 10); return redis.call("get", "x")' 0
EVAL 'redis.call("set", "x", 5.000000000000001); return redis.call("get", "x")' 0
EVAL 'redis.call("set", "x", "0.1"); return redis.call("get", "x")' 0
EVAL 'redis.call("set", "x", "1e2"); return redis.call("get", "x")' 0
EVAL 'redis.call("set", "x", "-nan"); return redis.call("get", "x")' 0
EVAL 'redis.call("set", 12, 1e300); return redis.call("get", 12)' 0
EVAL 'redis.call("set", "x", 1/0); return redis.pcall("get", "x")' 0
EVAL 'return redis.pcall("set", "x", true)' 0
EVAL 'return redis.pcall("set", "x", 1, 2)' 0
EVAL 'return redis.pcall("set", "x", "v", "x")' 0
EVAL 'local r = redis.call("set", "x", "v"); r.ok = "changed"; local s = redis.call("set", "x", "v"); return {r.ok, s.ok, tostring(r == s)}' 0
EVAL 'local r = redis.pcall("type", "x"); return {r.ok, type(r)}' 0
EVAL 'return redis.call("type", KEYS[1])' 1 x
EVAL 'return {ok="5"}' 0
EVAL 'return {err="0.5"}' 0
EVAL 'return {ok=1e300}' 0
EVAL 'return {err=-1, ok="fine"}' 0

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
EVAL "local x = 1\nlocal y = 2\nerror(\"line three\")" 0
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
EVAL 'return cmsgpack.pack({1,2,"a"})' 0
EVAL 'return cmsgpack.pack(nil, true, false, 0, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, -1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649)' 0
EVAL 'return cmsgpack.pack(1.5, 0.1, -2.25, 1e300)' 0
EVAL 'return cmsgpack.pack(string.rep("x", 31), string.rep("y", 32), string.rep("z", 300))' 0
EVAL 'return cmsgpack.pack({}, {a=1}, {1, nil, 3}, {[1]=1, [2]=2, x=3})' 0
EVAL 'local t = {} for i = 1, 20 do t[i] = i end return cmsgpack.pack(t)' 0
EVAL 'return cmsgpack.unpack(cmsgpack.pack({1,2,"a", {x=1}}))' 0
EVAL 'return {cmsgpack.unpack(cmsgpack.pack(1, "two", {3}))}' 0
EVAL 'local a, b = cmsgpack.unpack(cmsgpack.pack(-5, 2.5)); return {a, tostring(b)}' 0
EVAL 'return cmsgpack.unpack(cmsgpack.pack({y={z=1}})).y.z' 0
EVAL 'return cmsgpack.pack()' 0
EVAL 'return cmsgpack.unpack("\x92\x01")' 0
EVAL 'return type(cmsgpack.unpack("\xc0"))' 0
EVAL 'cmsgpack.x = 1' 0
EVAL 'return struct.pack(">I2", 258)' 0
EVAL 'return {struct.unpack(">I2", "ab")}' 0
EVAL 'return struct.pack("<i4 b B h H", -2, -1, 255, -300, 65535)' 0
EVAL 'return {struct.unpack("<i4 b B h H", struct.pack("<i4 b B h H", -2, -1, 255, -300, 65535))}' 0
EVAL 'return struct.pack(">l L", -5, 7)' 0
EVAL 'return {struct.unpack(">l L", struct.pack(">l L", -5, 7))}' 0
EVAL 'return struct.pack("c3 s x", "abcdef", "zz")' 0
EVAL 'return {struct.unpack("c3 s x", struct.pack("c3 s x", "abcdef", "zz"))}' 0
EVAL 'return {struct.unpack("b c0", "\x03abcd")}' 0
EVAL 'return tostring(struct.unpack("<d", struct.pack("<d", 1.5)))' 0
EVAL 'return tostring(struct.unpack(">f", struct.pack(">f", 0.25)))' 0
EVAL 'return {struct.unpack("B", "xyz", 2)}' 0
EVAL 'return struct.size(">i4 h c3")' 0
EVAL 'return struct.pack("q", 1)' 0
EVAL 'return struct.unpack(">I4", "ab")' 0
EVAL 'return struct.pack("i9", 1)' 0
EVAL 'return struct.pack("i")' 0
EVAL 'struct.x = 1' 0
EVAL 'bit.x = 1' 0
EVAL 'cjson.x = 1' 0

## shebang flags
EVAL "#!lua flags=no-writes\nreturn redis.call(\"set\",\"a\",\"b\")" 0
EVAL "#!lua\nreturn redis.call(\"set\",\"a\",\"b\")" 0
EVAL "#!lua flags=bogus\nreturn 1" 0
EVAL "#!luax\nreturn 1" 0
EVAL "#!lua name=x\nreturn 1" 0
EVAL "#!lua flags=no-writes,allow-oom\nreturn 1" 0
EVAL "#!lua flags=no-writes\nreturn 1" 1 k
EVAL "#!lua flags=allow-cross-slot-keys,no-cluster,allow-stale\nreturn 1" 0
EVAL '#!lua' 0
EVAL "#!lua\nerror(\"x\")" 0
EVAL "#!lua flags=\nreturn 1" 0

## eval_ro
EVAL_RO 'return redis.call("set","a","b")' 0
EVAL_RO 'return redis.call("get","a")' 0
EVAL_RO 'return redis.pcall("set","a","b")' 0
EVAL_RO "#!lua\nreturn 1" 0
EVAL_RO "#!lua flags=no-writes\nreturn redis.call(\"get\",\"a\")" 0

## script management
SCRIPT LOAD 'return 1'
EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
EVALSHA E0E1F9FABFC9D4800C877A703B823AC0578FF8DB 0
EVALSHA_RO e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
SCRIPT EXISTS e0e1f9fabfc9d4800c877a703b823ac0578ff8db abc E0E1F9FABFC9D4800C877A703B823AC0578FF8DB
EVALSHA abc 0
EVALSHA ffffffffffffffffffffffffffffffffffffffff 0
SCRIPT LOAD 'return 1 +'
SCRIPT LOAD "#!lua flags=bogus\nreturn 1"
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

## a script's database and protocol do not carry over to the next script
SET here db0
HSET h f v
EVAL 'redis.call("select", 3); redis.setresp(3); redis.call("set", "here", "db3"); return 1' 0
EVAL 'return {redis.call("get", "here"), redis.call("hgetall", "h")[1] or "resp3", redis.call("exists", "nosuch") == 0}' 0
EVAL 'redis.call("select", 3); return redis.call("get", "here")' 0
EVAL 'return {redis.call("get", "here"), redis.call("hgetall", "h")[1] or "resp3"}' 0

## command info
COMMAND INFO eval evalsha eval_ro evalsha_ro
COMMAND GETKEYS EVAL 'return 1' 2 a b c
"##;

/// FUNCTION and FCALL. FUNCTION LIST lists libraries (and a library its
/// functions) in Redis's dictionary order, which varies between servers:
/// the cases list one library of one function at a time.
const FUNCTIONS: &str = r##"
## function load errors
FUNCTION FLUSH
FUNCTION LOAD "return 1"
FUNCTION LOAD "#!lua\nreturn 1"
FUNCTION LOAD "#!lua name=\nreturn 1"
FUNCTION LOAD "#!lua name=a b=c\nreturn 1"
FUNCTION LOAD "#!lua name=a foo\nreturn 1"
FUNCTION LOAD "#!luax name=a\nreturn 1"
FUNCTION LOAD "#!lua name=a-b\nreturn 1"
FUNCTION LOAD "#!lua name=a\nreturn 1"
FUNCTION LOAD "#!lua name=a\nreturn 1 +"
FUNCTION LOAD "#!lua name=b\nredis.register_function('f-x', function() return 1 end)"
FUNCTION LOAD "#!lua name=b\nredis.register_function('h', 5)"
FUNCTION LOAD "#!lua name=b\nredis.register_function('h')"
FUNCTION LOAD "#!lua name=b\nredis.register_function(1, function() end)"
FUNCTION LOAD "#!lua name=b\nredis.register_function('a', function() end, 3)"
FUNCTION LOAD "#!lua name=b\nredis.register_function{function_name='h', callback=function() end, flags={'bogus'}}"
FUNCTION LOAD "#!lua name=b\nredis.register_function{function_name='h', callback=function() end, bogus=1}"
FUNCTION LOAD "#!lua name=b\nredis.register_function{callback=function() end}"
FUNCTION LOAD "#!lua name=b\nredis.register_function{function_name='h'}"
FUNCTION LOAD "#!lua name=b\nredis.register_function{function_name=1, callback=function() end}"
FUNCTION LOAD "#!lua name=b\nredis.register_function{function_name='h', callback=function() end, flags='no-writes'}"
FUNCTION LOAD "#!lua name=b\nredis.register_function{function_name='h', callback=function() end, description=5}"
FUNCTION LOAD "#!lua name=b\nredis.call('ping')"
FUNCTION LOAD "#!lua name=b\nreturn math.random()"
FUNCTION LOAD "#!lua name=b\nerror('x')"
FUNCTION LOAD "#!lua name=b\nx = 1"
FUNCTION LOAD "#!lua name=b\nreturn KEYS"
FUNCTION LOAD "#!lua name=b\nredis.log(redis.LOG_NOTICE, 'loading')"
FUNCTION LOAD "#!lua name=b\nredis.register_function('h', function() end)\nredis.register_function('h', function() end)"
FUNCTION LOAD
FUNCTION LOAD REPLACE
FUNCTION LOAD bogus "#!lua name=b\nreturn 1"

## function load and fcall
FUNCTION FLUSH
FUNCTION LOAD "#!lua name=a\nredis.register_function('f', function(keys, args) return redis.call('set', keys[1], args[1]) end)"
FUNCTION LOAD "#!lua name=a\nredis.register_function('f', function() return 1 end)"
FUNCTION LOAD "#!lua name=b\nredis.register_function('f', function() return 1 end)"
FCALL f 1 k v
GET k
FCALL_RO f 1 k v
FCALL nosuch 0
FCALL f 3 a
FCALL f -1
FCALL f x
FCALL f
FUNCTION LIST
FUNCTION LIST WITHCODE
FUNCTION LIST LIBRARYNAME a
FUNCTION LIST LIBRARYNAME z*
FUNCTION LIST LIBRARYNAME
FUNCTION LIST bogus
FUNCTION LIST LIBRARYNAME a LIBRARYNAME b
FUNCTION STATS
FUNCTION LOAD REPLACE "#!lua name=a\nredis.register_function{function_name='g', callback=function(keys, args) return {keys, args} end, flags={'no-writes', 'allow-oom'}, description='desc'}"
FCALL f 1 k v
FCALL g 2 a b c
FCALL_RO g 0
FUNCTION LIST
FUNCTION LOAD "#!lua name=c\nlocal function f() error('deep') end redis.register_function('h', f)"
FCALL h 0
FUNCTION LOAD "#!lua name=d\nredis.register_function('e', function() return redis.call('incr', 'k') end)"
FCALL e 0
FUNCTION LOAD "#!lua name=r3\nredis.register_function('r3', function() redis.setresp(3); return redis.call('hgetall', 'nohash') end)"
FCALL r3 0
FUNCTION STATS
FUNCTION DELETE nosuch
FUNCTION DELETE c
FCALL h 0
FUNCTION DELETE
FUNCTION FLUSH bogus
FUNCTION FLUSH ASYNC
FUNCTION FLUSH SYNC
FUNCTION FLUSH
FUNCTION KILL
FUNCTION HELP
FUNCTION bogus
FUNCTION STATS

## fcall inside a script and a function
FUNCTION FLUSH
EVAL "return redis.call('fcall', 'x', 0)" 0
EVAL "return redis.call('function', 'list')" 0
FUNCTION LOAD "#!lua name=n\nredis.register_function('n', function() return redis.call('eval', 'return 1', 0) end)"
FCALL n 0
FUNCTION FLUSH

## flushall keeps functions
FUNCTION FLUSH
FUNCTION LOAD "#!lua name=keep\nredis.register_function('keep', function() return 1 end)"
FLUSHALL
FCALL keep 0
FUNCTION FLUSH

## function dump and restore
FUNCTION FLUSH
FUNCTION DUMP
FUNCTION LOAD "#!lua name=dumped\nredis.register_function('dumped', function() return 'back' end)"
FUNCTION RESTORE bogus
FUNCTION RESTORE "\xf5\x01x\x0a\x00" FLUSH
FUNCTION DELETE dumped
FUNCTION RESTORE "\xf5\x3f#!lua name=dumped\nredis.register_function('dumped', function() return 'back' end)\x0a\x00\xe1\xba\x12\x82\xb4\xeb\xfd\x9b"
"##;

#[tokio::test]
async fn scripting() {
    crate::script::run(SCRIPT).await;
}

#[tokio::test]
async fn functions() {
    crate::script::run(FUNCTIONS).await;
}
