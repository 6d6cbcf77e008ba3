-- The sandbox mock-redis builds around user scripts, run once when the Lua
-- state is created, with the real globals as its environment. It receives
-- the Rust primitives and returns what Rust keeps: the user environment
-- and the functions that run a script.
local prim = ...
local G = _G
local getinfo = prim.getinfo
local type, error, tostring, tonumber, select = type, error, tostring, tonumber, select
local setmetatable, setfenv = setmetatable, setfenv
local raw_rawset, raw_rawget, raw_next, raw_pcall, raw_xpcall = rawset, rawget, next, pcall, xpcall
local raw_loadstring, raw_load = loadstring, load

-- Redis 7.0 does not expose these.
for _, name in ipairs({'dofile', 'loadfile', 'print', 'getfenv', 'setfenv', 'newproxy',
                       'module', 'require', 'package', 'io', 'os', 'debug'}) do
  raw_rawset(G, name, nil)
end

local function no_global(_, name)
  error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
end

-- Read-only tables: a script sees a proxy whose writes fail. `real_of`
-- maps a proxy to the table it shows.
local real_of = setmetatable({}, {__mode = 'k'})
local READONLY = 'Attempt to modify a readonly table'
local function readonly_newindex() error(READONLY, 2) end
local function readonly(t, shown_mt)
  local p = {}
  local mt = {__index = t, __newindex = readonly_newindex}
  if shown_mt == nil then shown_mt = false end
  mt.__metatable = shown_mt
  setmetatable(p, mt)
  real_of[p] = t
  return p
end

-- math.random and math.randomseed: Redis's rand48 generator, reseeded
-- before every script (Rust).
math.random = prim.random
math.randomseed = prim.randomseed

-- The `redis` table: call, pcall, setresp, sha1hex, log, set_repl and the
-- version come from Rust; the rest raises no error and lives here.
local redis = prim.redis
local function err_table(msg) return {err = msg} end
local function trim(s)
  return (s:gsub('^[\r\n]+', ''):gsub('[\r\n]+$', ''))
end
redis.error_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then
    return err_table('ERR wrong number or type of arguments')
  end
  if s:sub(1, 1) ~= '-' then s = '-' .. s end
  -- luaPushErrorBuff: "-CODE msg" keeps its code; without a space, ERR.
  local sp = s:find(' ', 1, true)
  if not sp then return err_table('ERR ' .. trim(s:sub(2))) end
  return err_table(s:sub(2, sp - 1) .. ' ' .. trim(s:sub(sp + 1)))
end
redis.status_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then
    return err_table('ERR wrong number or type of arguments')
  end
  return {ok = s}
end
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.replicate_commands = function() return true end
redis.breakpoint = function() return false end
redis.debug = function() end
G.redis = readonly(redis)

-- pcall as Redis 7.0 overrides it: an error table with an `err` field is
-- returned as that text.
local error_info = prim.error_info
local function pcall_result(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == 'userdata' then
    local text = error_info(e)
    if text then e = text end
  end
  if type(e) == 'table' then
    local m = e.err
    if type(m) == 'string' or type(m) == 'number' then e = m end
  end
  return false, e
end
G.pcall = function(...) return pcall_result(raw_pcall(...)) end

-- The libraries, read only (the string metatable too).
for _, name in ipairs({'string', 'math', 'table', 'coroutine', 'cjson', 'bit', 'struct', 'cmsgpack'}) do
  local lib = raw_rawget(G, name)
  if lib ~= nil then raw_rawset(G, name, readonly(lib)) end
end
do
  local smt = getmetatable('')
  smt.__metatable = readonly({__index = raw_rawget(G, 'string')})
end

-- The globals scripts see: reading an undeclared one and writing any fail.
setmetatable(G, {__index = no_global})
local env = {}
real_of[env] = G
local env_mt = {__index = G, __newindex = readonly_newindex, __metatable = readonly({})}
setmetatable(env, env_mt)

-- While FUNCTION LOAD runs a library's code, its globals are only the
-- library API: redis.register_function (set by Rust for each load),
-- redis.log and the log levels.
local load_redis = setmetatable({
  log = redis.log, LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
}, {__index = no_global})
local load_api = setmetatable({redis = readonly(load_redis)}, {__index = no_global})
local function set_loading(on)
  if on then env_mt.__index = load_api else env_mt.__index = G end
end
raw_rawset(G, '_G', env)

-- Raw access sees through the proxies and cannot write them.
G.rawset = function(t, k, v)
  if real_of[t] then error(READONLY, 0) end
  return raw_rawset(t, k, v)
end
G.rawget = function(t, k)
  local real = real_of[t]
  if real then return raw_rawget(real, k) end
  return raw_rawget(t, k)
end
local function next_(t, k)
  local real = real_of[t]
  if real then return raw_next(real, k) end
  return raw_next(t, k)
end
G.next = next_
local raw_pairs = pairs
G.pairs = function(t)
  if real_of[t] then return next_, t, nil end
  return raw_pairs(t)
end
G.loadstring = function(s, name)
  local f, e = raw_loadstring(s, name)
  if f then setfenv(f, env) end
  return f, e
end
G.load = function(fn, name)
  local f, e = raw_load(fn, name)
  if f then setfenv(f, env) end
  return f, e
end

-- The error handler: the error becomes a table with the place it was
-- raised (the first frame outside this prelude; past a C function, its
-- caller), as Redis's __redis__err__handler does.
local INTERNAL = '=mock_redis'
local function handler(err)
  local frames, level = {}, 2
  while #frames < 2 do
    local what, source, line = getinfo(level)
    if not what then break end
    if source ~= INTERNAL then frames[#frames + 1] = {what = what, source = source, currentline = line} end
    level = level + 1
  end
  local i = frames[1]
  if i and i.what == 'C' then i = frames[2] end
  if type(err) == 'userdata' then
    local text, is_table = error_info(err)
    if text then
      if is_table then err = {err = text} else err = text end
    end
  end
  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring(err)} end
  if i then
    err.source = i.source
    err.line = i.currentline
  end
  return err
end

local function run_eval(f) return raw_xpcall(f, handler) end
local function run_function(f, keys, args)
  return raw_xpcall(function() return f(keys, args) end, handler)
end
-- The same for a few arguments, passed on the stack rather than as two
-- tables built from Rust (cheaper per call): the first `nkeys` are the keys.
local function split_args(nkeys, ...)
  local keys = {...}
  local args = {select(nkeys + 1, ...)}
  for i = select('#', ...), nkeys + 1, -1 do keys[i] = nil end
  return keys, args
end
local function run_eval_with(f, nkeys, ...)
  local keys, args = split_args(nkeys, ...)
  raw_rawset(G, 'KEYS', keys)
  raw_rawset(G, 'ARGV', args)
  return raw_xpcall(f, handler)
end
local function run_function_with(f, nkeys, ...)
  return run_function(f, split_args(nkeys, ...))
end
-- And for the commonest shapes, up to SMALL keys and SMALL arguments: one
-- function per shape taking them as named parameters, so KEYS and ARGV
-- are table constructors (no `select`, no C calls); `small_eval[nk][na]`.
-- They are compiled with this prelude's chunk name, so the error handler
-- skips their frames as it skips the prelude's.
local SMALL = 4
local small_eval, small_function = {}, {}
for nk = 0, SMALL do
  small_eval[nk], small_function[nk] = {}, {}
  for na = 0, SMALL do
    local ks, as = {}, {}
    for i = 1, nk do ks[i] = 'k' .. i end
    for i = 1, na do as[i] = 'a' .. i end
    local params = 'f'
    if nk + na > 0 then params = params .. ', ' .. table.concat(ks, ', ') end
    if nk > 0 and na > 0 then params = params .. ', ' end
    params = params .. table.concat(as, ', ')
    local keys = '{' .. table.concat(ks, ', ') .. '}'
    local args = '{' .. table.concat(as, ', ') .. '}'
    local eval_src = 'local G, raw_xpcall, handler = ... return function(' .. params .. ') ' ..
      'G.KEYS = ' .. keys .. ' G.ARGV = ' .. args .. ' return raw_xpcall(f, handler) end'
    local function_src = 'local raw_xpcall, handler = ... return function(' .. params .. ') ' ..
      'local keys, args = ' .. keys .. ', ' .. args .. ' ' ..
      'return raw_xpcall(function() return f(keys, args) end, handler) end'
    small_eval[nk][na] = raw_loadstring(eval_src, INTERNAL)(G, raw_xpcall, handler)
    small_function[nk][na] = raw_loadstring(function_src, INTERNAL)(raw_xpcall, handler)
  end
end
return env, run_eval, run_function, set_loading, load_redis, run_eval_with, run_function_with,
  small_eval, small_function
