// ioredis against the mock-redis binary: the shared fixture file, a mock
// mounted and verified through the admin API, and teardown with Ctrl-C.
//
// The binary is $MOCK_REDIS_BIN, else target/debug/mock-redis (or under
// $CARGO_TARGET_DIR): build it with `cargo build --features cli`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Redis from 'ioredis';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixture = path.join(root, 'examples', 'fixtures', 'shop.toml');

function binary() {
  if (process.env.MOCK_REDIS_BIN) return process.env.MOCK_REDIS_BIN;
  const target = process.env.CARGO_TARGET_DIR || path.join(root, 'target');
  const bin = path.join(target, 'debug', 'mock-redis');
  if (!existsSync(bin)) throw new Error(`${bin} not found: run \`cargo build --features cli\` or set MOCK_REDIS_BIN`);
  return bin;
}

// Starts the binary; resolves once it logged its admin URL and Redis port.
async function startMockRedis() {
  const child = spawn(binary(), ['--port', '0', '--admin-port', '0', '--mocks', fixture], {
    env: { ...process.env, NO_COLOR: '1', RUST_LOG: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const server = await new Promise((resolve, reject) => {
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      log += chunk;
      const admin = log.match(/(http:\/\/127\.0\.0\.1:\d+\/__admin)/);
      const port = log.match(/Ready to accept connections tcp.*127\.0\.0\.1:(\d+)/);
      if (admin && port) resolve({ admin: admin[1], port: Number(port[1]) });
    });
    child.on('exit', (code) => reject(new Error(`the binary exited (${code}) before listening:\n${log}`)));
  });
  return {
    ...server,
    log: () => log,
    async call(method, route, body) {
      const res = await fetch(server.admin + route, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    },
    // Ctrl-C; resolves to the exit status (3 when an expectation is not met).
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill('SIGINT');
      const [code] = await exited;
      return code;
    },
    // For a failed test: never leave the binary running.
    kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

test('a mock mounted through the admin API answers and verifies', async (t) => {
  const server = await startMockRedis();
  t.after(() => server.kill());
  const redis = new Redis({ port: server.port, lazyConnect: true });
  await redis.connect();
  try {
    const mounted = await server.call('POST', '/mocks', {
      command: 'HGETALL', args: ['cart:1'], reply: { map: [['apples', '7']] }, expect: 1,
    });
    assert.equal(mounted.status, 201);
    assert.deepEqual(await redis.hgetall('cart:1'), { apples: '7' });
    // From the fixture file: a mock, a sequence and a seed key.
    assert.equal(await redis.get('user:1'), 'alice');
    assert.equal(await redis.incr('visits'), 1);
    assert.deepEqual(await redis.hgetall('cart:2'), { apples: '3', pears: '1' });
    const journal = await server.call('GET', '/journal');
    // The journal keeps commands as sent: ioredis writes names in lower case.
    assert.ok(journal.body.commands.some((c) => c.args.join(' ').toUpperCase() === 'HGETALL CART:1'));
    assert.deepEqual(await server.call('POST', '/verify'), { status: 200, body: { ok: true } });
  } finally {
    redis.disconnect();
  }
  assert.equal(await server.stop(), 0);
});

test('an unmet expectation fails verification and the exit status', async (t) => {
  const server = await startMockRedis();
  t.after(() => server.kill());
  const mounted = await server.call('POST', '/mocks', {
    name: 'never called', command: 'DEL', args: ['x'], reply: 1, expect: 1,
  });
  assert.equal(mounted.status, 201);
  const verify = await server.call('POST', '/verify');
  assert.equal(verify.status, 409);
  assert.match(verify.body.report, /never called/);
  assert.equal(await server.stop(), 3);
  assert.match(server.log(), /never called/);
});
