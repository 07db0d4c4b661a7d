// Configuration: file and environment merged (the environment wins), and every mistake refused at
// start with a message that names the setting, what is wrong, and how to fix it.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/config.ts';
import { loadKeys } from '../src/auth/keys.ts';

const dir = mkdtempSync(join(tmpdir(), 'ginko-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function settingsFile(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `a ConfigError, not ${String(error)}`);
    return error.message;
  }
  assert.fail(`loadConfig accepted ${JSON.stringify(env)}`);
}

test('defaults: migrations at start, no metrics listener, immediate shutdown with a 30 s bound', () => {
  const config = loadConfig({});
  assert.equal(config.migrateOnStart, true);
  assert.equal(config.metrics, undefined);
  assert.equal(config.keysFile, undefined);
  assert.deepEqual(config.shutdown, { drainSeconds: 0, timeoutSeconds: 30 });
});

test('settings come from the file, and the environment wins over it', () => {
  const file = settingsFile('settings.json', JSON.stringify({ GINKO_PORT: 9443, GINKO_CONSENT_DAYS: '30', GINKO_MIGRATE_ON_START: false, GINKO_METRICS_PORT: 9100 }));
  const config = loadConfig({ GINKO_CONFIG_FILE: file, GINKO_CONSENT_DAYS: '7' });
  assert.equal(config.browser.port, 9443);
  assert.equal(config.browser.publicUrl, 'https://localhost:9443');
  assert.equal(config.consentDays, 7, 'the environment wins');
  assert.equal(config.migrateOnStart, false);
  assert.deepEqual(config.metrics, { host: '127.0.0.1', port: 9100 });
});

test('a misspelt setting in the file is refused, with the name it was probably meant to be', () => {
  const file = settingsFile('typo.json', JSON.stringify({ GINKO_PROT: 9443, NOT_OURS: 'x' }));
  const message = refusal({ GINKO_CONFIG_FILE: file });
  assert.match(message, /unknown settings GINKO_PROT \(did you mean GINKO_PORT\?\), NOT_OURS/);
  assert.match(message, /README\.md/);
});

test('an unreadable or malformed file says what is wrong and what a good one looks like', () => {
  assert.match(refusal({ GINKO_CONFIG_FILE: join(dir, 'missing.json') }), /cannot be read \(ENOENT\): check the path/);
  assert.match(refusal({ GINKO_CONFIG_FILE: settingsFile('bad.json', '{"GINKO_PORT": 8443,') }), /is not valid JSON .*\{"GINKO_PORT": 8443\}/);
  assert.match(refusal({ GINKO_CONFIG_FILE: settingsFile('array.json', '[1]') }), /must hold one JSON object/);
  assert.match(refusal({ GINKO_CONFIG_FILE: settingsFile('nested.json', '{"GINKO_PORT": {"value": 1}}') }), /GINKO_PORT must be a string, number or boolean/);
});

test('bad values name the setting, the value and the allowed range or form', () => {
  assert.match(refusal({ GINKO_PORT: '70000' }), /GINKO_PORT=70000 is not valid: use a whole number from 0 to 65535/);
  assert.match(refusal({ GINKO_MIGRATE_ON_START: 'yes' }), /GINKO_MIGRATE_ON_START=yes is not valid: use true or false \(default true\)/);
  assert.match(refusal({ GINKO_METRICS_PORT: 'nine' }), /GINKO_METRICS_PORT=nine is not valid/);
  assert.match(refusal({ GINKO_SHUTDOWN_TIMEOUT_SECONDS: '0' }), /GINKO_SHUTDOWN_TIMEOUT_SECONDS=0 is not valid: use a whole number from 1 to 600/);
  assert.match(refusal({ GINKO_PUBLIC_URL: 'http://bank.example' }), /must be a bare https origin/);
  assert.match(refusal({ GINKO_LOG_LEVEL: 'loud' }), /use one of fatal, error/);
});

test('the demo TPP app runs with the demo data on port 3000 unless moved or turned off', () => {
  assert.deepEqual(loadConfig({}).demoTpp, { port: 3000, publicUrl: 'https://localhost:3000' });
  assert.deepEqual(loadConfig({ GINKO_DEMO_TPP_PORT: '3443' }).demoTpp, { port: 3443, publicUrl: 'https://localhost:3443' });
  assert.equal(loadConfig({ GINKO_DEMO_TPP: 'false' }).demoTpp, undefined);
  assert.equal(loadConfig({ GINKO_SEED_DEMO_DATA: 'false' }).demoTpp, undefined, 'no demo customers, no demo app');
  assert.ok(loadConfig({ GINKO_SEED_DEMO_DATA: 'false', GINKO_DEMO_TPP: 'true' }).demoTpp);
  assert.match(refusal({ GINKO_DEMO_TPP_PORT: 'http' }), /GINKO_DEMO_TPP_PORT=http is not valid/);
  assert.equal(loadConfig({}).transactionPageSize, 500);
  assert.match(refusal({ GINKO_TRANSACTION_PAGE_SIZE: '501' }), /GINKO_TRANSACTION_PAGE_SIZE=501 is not valid: use a whole number from 1 to 500/);
});

test('a keys file that is missing or not a key file explains how to make one', async () => {
  const missing = join(dir, 'no-keys.json');
  await assert.rejects(loadKeys({ dataDir: dir, keysFile: missing }), (error: Error) => error instanceof ConfigError && error.message.includes(`npx ginko keys create --out ${missing}`));
  const garbage = settingsFile('garbage-keys.json', '{"signingKeys": []}');
  chmodSync(garbage, 0o600);
  await assert.rejects(loadKeys({ dataDir: dir, keysFile: garbage }), /is not a valid key file .*npx ginko keys create/);
});
