// The counts behind the quotas: fixed windows in memory and in Redis (127.0.0.1:6379, a key prefix of
// its own per run), shared by two counter stores as by two nodes; and with Redis unreachable, each
// node still counts on its own, with a log line and a metric.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import pino from 'pino';
import { MemoryCounters, RedisCounters } from '../src/http/quota-counters.ts';

const REDIS_URL = process.env.GINKO_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const silent = pino({ level: 'silent' });

test('in memory: counts within a window, starts again when it ends', async () => {
  let now = 1_000_000;
  const counters = new MemoryCounters(() => now);
  assert.deepEqual(await counters.hit(['a', 'b'], 1000), [
    { count: 1, resetsInMs: 1000 },
    { count: 1, resetsInMs: 1000 },
  ]);
  now += 400;
  assert.deepEqual(await counters.hit(['a'], 1000), [{ count: 2, resetsInMs: 600 }]);
  now += 600;
  assert.deepEqual(await counters.hit(['a'], 1000), [{ count: 1, resetsInMs: 1000 }], 'a new window');
});

test('in Redis: two nodes count into one window, which ends for both', async () => {
  const settings = { url: REDIS_URL, keyPrefix: `ginko-test:${randomUUID()}:` };
  const nodeA = new RedisCounters(settings, silent, () => assert.fail('Redis answered'));
  const nodeB = new RedisCounters(settings, silent, () => assert.fail('Redis answered'));
  try {
    await Promise.all([nodeA.ready(), nodeB.ready()]);
    const windowMs = 400;
    assert.equal((await nodeA.hit(['tpp'], windowMs))[0]!.count, 1);
    assert.equal((await nodeB.hit(['tpp'], windowMs))[0]!.count, 2);
    const [tpp, address] = await nodeA.hit(['tpp', 'address'], windowMs);
    assert.equal(tpp!.count, 3);
    assert.equal(address!.count, 1);
    assert.ok(tpp!.resetsInMs > 0 && tpp!.resetsInMs <= windowMs);
    await new Promise((resolve) => setTimeout(resolve, windowMs + 50));
    assert.equal((await nodeB.hit(['tpp'], windowMs))[0]!.count, 1, 'a new window');
  } finally {
    await nodeA.close();
    await nodeB.close();
  }
});

test('Redis unreachable: the node counts alone, logs once and counts each fallback', async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => lines.push(line) });
  let fallbacks = 0;
  const counters = new RedisCounters({ url: 'redis://127.0.0.1:1', keyPrefix: 'unused:' }, logger, () => fallbacks++);
  try {
    const counts = [];
    for (let i = 0; i < 3; i++) counts.push((await counters.hit(['tpp'], 10_000))[0]!.count);
    assert.deepEqual(counts, [1, 2, 3], 'still counted, by the node');
    assert.equal(fallbacks, 3);
    assert.equal(lines.filter((line) => line.includes('Redis (GINKO_REDIS_URL) is unreachable')).length, 1, 'one line, not one per request');
  } finally {
    await counters.close();
  }
});
