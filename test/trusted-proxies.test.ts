// GINKO_TRUSTED_PROXIES: addresses and CIDR blocks of both families, IPv4-mapped peers, bad entries refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/config.ts';
import { isTrustedProxy, parseTrustedProxies } from '../src/http/trusted-proxies.ts';

test('addresses and blocks of both families; an IPv4-mapped peer counts as its IPv4 address', () => {
  const list = parseTrustedProxies(' 10.1.2.3, 192.168.0.0/16,fd00::/8 ');
  assert.ok(typeof list !== 'string');
  for (const peer of ['10.1.2.3', '::ffff:10.1.2.3', '192.168.44.1', 'fd12::1']) assert.equal(isTrustedProxy(list, peer), true, peer);
  for (const peer of ['10.1.2.4', '127.0.0.1', '::1', 'fe80::1', undefined]) assert.equal(isTrustedProxy(list, peer), false, String(peer));
});

test('empty trusts no one; a bad entry is a configuration error naming it', () => {
  const none = parseTrustedProxies('');
  assert.ok(typeof none !== 'string' && !isTrustedProxy(none, '127.0.0.1'));
  for (const bad of ['10.0.0.0/33', 'proxy.internal', '10.0.0.1/8/1', 'fd00::/129']) {
    assert.throws(() => loadConfig({ GINKO_TRUSTED_PROXIES: bad }), (error: unknown) => error instanceof ConfigError && error.message.includes(bad.split('/')[0]!));
  }
});
