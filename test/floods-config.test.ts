// The flood settings from the environment: defaults, a per-TPP quota map, and mistakes refused at
// start with a message that says how to fix them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../src/config/config.ts';
import { DEFAULT_LISTENER_LIMITS, DEFAULT_QUOTAS, listenerLimitsFrom, quotasFrom, redisFrom } from '../src/config/floods.ts';

test('defaults when nothing is set; each quota and the per-TPP map from the environment', () => {
  assert.deepEqual(quotasFrom({}), DEFAULT_QUOTAS);
  assert.deepEqual(listenerLimitsFrom({}), DEFAULT_LISTENER_LIMITS);
  assert.equal(redisFrom({}), undefined);
  const quotas = quotasFrom({ GINKO_QUOTA_WINDOW_SECONDS: '10', GINKO_QUOTA_API_PER_TPP: '0', GINKO_QUOTA_BROWSER_PER_ADDRESS: '50', GINKO_QUOTA_TPPS: '{"tpp-a":{"api":20000,"par":1}}' });
  assert.equal(quotas.windowSeconds, 10);
  assert.equal(quotas.perTpp.api, 0, '0: no quota');
  assert.equal(quotas.perAddress.browser, 50);
  assert.deepEqual(quotas.tpps, { 'tpp-a': { api: 20000, par: 1 } });
  assert.deepEqual(redisFrom({ GINKO_REDIS_URL: 'redis://cache:6379' }), { url: 'redis://cache:6379', keyPrefix: 'ginko:' });
});

test('mistakes are refused with what to write instead', () => {
  const refused = (fn: () => unknown, message: RegExp) => assert.throws(fn, (error: unknown) => error instanceof ConfigError && message.test(error.message));
  refused(() => quotasFrom({ GINKO_QUOTA_PAR_PER_TPP: '-1' }), /GINKO_QUOTA_PAR_PER_TPP=-1 is not valid: use a whole number from 0/);
  refused(() => quotasFrom({ GINKO_QUOTA_WINDOW_SECONDS: '0' }), /GINKO_QUOTA_WINDOW_SECONDS=0 is not valid: use a whole number from 1 to 3600/);
  refused(() => quotasFrom({ GINKO_QUOTA_TPPS: '{"tpp-a":' }), /GINKO_QUOTA_TPPS is not valid JSON: write an object keyed by client_id/);
  refused(() => quotasFrom({ GINKO_QUOTA_TPPS: '{"tpp-a":{"browser":5}}' }), /tpp-a has unknown endpoint 'browser': use par, token, api/);
  refused(() => quotasFrom({ GINKO_QUOTA_TPPS: '{"tpp-a":{"api":"lots"}}' }), /tpp-a.api="lots" is not valid/);
  refused(() => redisFrom({ GINKO_REDIS_URL: 'cache:6379' }), /GINKO_REDIS_URL=cache:6379 is not valid: use redis:\/\/host:6379/);
  refused(() => listenerLimitsFrom({ GINKO_HTTP_HEADERS_TIMEOUT_SECONDS: '60' }), /must not exceed GINKO_HTTP_REQUEST_TIMEOUT_SECONDS=30/);
  refused(() => listenerLimitsFrom({ GINKO_HTTP_MAX_CONNECTIONS: '0' }), /GINKO_HTTP_MAX_CONNECTIONS=0 is not valid/);
});
