// The README's path, as a newcomer takes it: `ginko start` runs the sandbox, `ginko client create`
// registers a TPP while it runs, the TPP uses only the files written for it to link a demo customer's
// account and read its balance; Ctrl-C (and SIGTERM) stop the sandbox cleanly, and a second start reuses the data.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import { Agent, fetch } from 'undici';
import { freePort } from '../support/bank.ts';
import { tppFromFolder } from '../support/tpp.ts';

const GINKO = join(import.meta.dirname, '../../bin/ginko.js');
const STARTUP_TIMEOUT_MS = 60_000;

let workDir: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'ginko-cli-'));
  const [port, mtlsPort, demoPort] = await Promise.all([freePort(), freePort(), freePort()]);
  env = { ...process.env, GINKO_DATA_DIR: join(workDir, 'data'), GINKO_PORT: String(port), GINKO_MTLS_PORT: String(mtlsPort), GINKO_DEMO_TPP_PORT: String(demoPort), GINKO_LOG_LEVEL: 'warn' };
});

after(() => rmSync(workDir, { recursive: true, force: true }));

test('start, register a TPP with the CLI, link and read a balance from its files, stop, start again', async () => {
  const first = await startSandbox();
  assert.match(first.output, new RegExp(`Issuer, login and consent: +https://localhost:${env.GINKO_PORT}`));
  assert.match(first.output, new RegExp(`mTLS endpoints and APIs: +https://localhost:${env.GINKO_MTLS_PORT}`));
  const demo = DEMO_CUSTOMERS[0]!;
  assert.ok(first.output.includes(`${demo.loginId} / ${demo.password}`), 'prints a demo login');
  assert.match(first.output, /ginko client create/);
  // The demo TPP app runs beside the sandbox, registered on first start; its folder stays in the data folder.
  assert.match(first.output, new RegExp(`Demo TPP app \\(kakeibo\\): +https://localhost:${env.GINKO_DEMO_TPP_PORT}`));
  const demoClientId = JSON.parse(readFileSync(join(env.GINKO_DATA_DIR!, 'demo-tpp', 'client.json'), 'utf8')).client_id;
  const landing = await fetch(`https://localhost:${env.GINKO_DEMO_TPP_PORT}/`, { dispatcher: new Agent({ connect: { ca: readFileSync(join(env.GINKO_DATA_DIR!, 'pki', 'ca.crt'), 'utf8') } }) });
  assert.equal(landing.status, 200);
  assert.match(await landing.text(), /銀行口座を連携する/);

  const out = join(workDir, 'my-tpp');
  for (const [auth, dir] of [
    ['private_key_jwt', out],
    ['self_signed_tls_client_auth', `${out}-self-signed`],
  ] as const) {
    const created = await run(['client', 'create', '--name', `Kakeibo ${auth}`, '--redirect-uri', 'https://localhost:3000/callback', '--auth', auth, '--out', dir]);
    assert.equal(created.code, 0, created.output);
    assert.equal(statSync(join(dir, 'signing-key.jwk.json')).mode & 0o777, 0o600, 'private keys are readable by the owner only');
    assert.equal(statSync(join(dir, 'client.key')).mode & 0o777, 0o600);

    const tpp = await tppFromFolder(dir);
    try {
      const tokens = await tpp.link({ requestMethod: 'par', responseMode: 'jarm', loginId: demo.loginId, password: demo.password });
      const balances = await tpp.api('/accounts/balances', tokens.accessToken);
      assert.equal(balances.status, 200);
      assert.match(balances.body.balances[0].balance, /^\d+$/);
    } finally {
      await tpp.close();
    }
  }

  const migrateBeside = await run(['migrate']);
  assert.equal(migrateBeside.code, 2, 'migrate refuses to open the embedded store beside the running sandbox');
  assert.match(migrateBeside.output, /another Ginko sandbox \(pid \d+\) is using .*: stop it first/);

  assert.equal(await stop(first.child, 'SIGINT'), 0, 'Ctrl-C shuts down cleanly');

  const second = await startSandbox();
  assert.match(second.output, /is running/);
  assert.equal(JSON.parse(readFileSync(join(env.GINKO_DATA_DIR!, 'demo-tpp', 'client.json'), 'utf8')).client_id, demoClientId, 'a restart reuses the demo’s registration');
  const tpp = await tppFromFolder(out);
  try {
    const tokens = await tpp.link({ requestMethod: 'by_value', responseMode: 'code_id_token', loginId: demo.loginId, password: demo.password });
    assert.equal((await tpp.api('/accounts', tokens.accessToken)).status, 200, 'the registration survived the restart');
  } finally {
    await tpp.close();
  }
  assert.equal(await stop(second.child, 'SIGTERM'), 0, 'SIGTERM (what orchestrators send) shuts down cleanly too');
});

test('client create explains what is missing', async () => {
  const result = await run(['client', 'create', '--name', 'X']);
  assert.equal(result.code, 2);
  assert.match(result.output, /--redirect-uri/);
  const bad = await run(['client', 'create', '--name', 'X', '--redirect-uri', 'http://insecure.example/cb', '--auth', 'tls_client_auth', '--out', join(workDir, 'bad')]);
  assert.equal(bad.code, 2);
  assert.match(bad.output, /https/);
  const dpopWithFapi1 = await run(['client', 'create', '--name', 'X', '--redirect-uri', 'https://localhost:3000/cb', '--auth', 'private_key_jwt', '--sender-constraint', 'dpop', '--out', join(workDir, 'bad')]);
  assert.equal(dpopWithFapi1.code, 2);
  assert.match(dpopWithFapi1.output, /DPoP-bound tokens need the fapi2 profile/);
});

test('client create --profile fapi2 registers a FAPI 2.0 client, with DPoP when asked', async () => {
  const dir = join(workDir, 'fapi2-tpp');
  const created = await run(['client', 'create', '--name', 'Kakeibo 2', '--redirect-uri', 'https://localhost:3000/cb', '--auth', 'private_key_jwt', '--profile', 'fapi2', '--sender-constraint', 'dpop', '--out', dir]);
  assert.equal(created.code, 0, created.output);
  const client = JSON.parse(readFileSync(join(dir, 'client.json'), 'utf8'));
  assert.equal(client.ginko_fapi_profile, '2.0');
  assert.equal(client.dpop_bound_access_tokens, true);
});

test('client create --profile fapi2-message-signing registers a FAPI 2.0 client that signs its requests and reads JARM only', async () => {
  const dir = join(workDir, 'fapi2-signing-tpp');
  const created = await run(['client', 'create', '--name', 'Kakeibo 3', '--redirect-uri', 'https://localhost:3000/cb', '--auth', 'tls_client_auth', '--profile', 'fapi2-message-signing', '--out', dir]);
  assert.equal(created.code, 0, created.output);
  const client = JSON.parse(readFileSync(join(dir, 'client.json'), 'utf8'));
  assert.equal(client.ginko_fapi_profile, '2.0');
  assert.equal(client.require_signed_request_object, true);
  assert.deepEqual(client.response_modes, ['jwt', 'query.jwt']);
});

test('keys create writes an owner-only key file for GINKO_KEYS_FILE, and never replaces one; keys rotate schedules the next keys', async () => {
  const file = join(workDir, 'secrets', 'keys.json');
  const created = await run(['keys', 'create', '--out', file]);
  assert.equal(created.code, 0, created.output);
  assert.match(created.output, new RegExp(`GINKO_KEYS_FILE=${file}`));
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const keys = JSON.parse(readFileSync(file, 'utf8'));
  assert.deepEqual(keys.signingKeys.map((key: { jwk: { alg: string } }) => key.jwk.alg), ['PS256', 'ES256']);
  assert.equal(keys.cookieKeys.length, 1);
  const again = await run(['keys', 'create', '--out', file]);
  assert.equal(again.code, 2);
  assert.match(again.output, /exists: keys are never overwritten/);
  assert.equal(readFileSync(file, 'utf8'), JSON.stringify(keys, null, 2), 'the file is untouched');

  const withFile = { GINKO_KEYS_FILE: file, GINKO_KEYS_RELOAD_SECONDS: '30' };
  const tooSoon = await run(['keys', 'rotate', '--publish-lead-seconds', '30'], withFile);
  assert.equal(tooSoon.code, 2, 'a lead no longer than the nodes\' reload interval is refused');
  assert.match(tooSoon.output, /above GINKO_KEYS_RELOAD_SECONDS \(30\)/);
  const rotated = await run(['keys', 'rotate', '--publish-lead-seconds', '3600'], withFile);
  assert.equal(rotated.code, 0, rotated.output);
  const next = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(next.signingKeys.length, 4);
  const [, , ps256, es256] = next.signingKeys;
  assert.deepEqual([ps256.jwk.alg, es256.jwk.alg], ['PS256', 'ES256']);
  assert.equal(Date.parse(ps256.signFrom) - Date.parse(ps256.publishFrom), 3600_000, 'signs an hour after it is published');
  assert.ok(rotated.output.includes(ps256.jwk.kid) && rotated.output.includes(ps256.signFrom), rotated.output);
  assert.equal(statSync(file).mode & 0o777, 0o600, 'still owner-only after the rotation');
  const underWay = await run(['keys', 'rotate', '--publish-lead-seconds', '3600'], withFile);
  assert.equal(underWay.code, 2);
  assert.match(underWay.output, /a rotation is under way/);
});

async function startSandbox(): Promise<{ child: ChildProcess; output: string }> {
  const child = spawn(process.execPath, [GINKO, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sandbox did not start:\n${output}`)), STARTUP_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Press Ctrl-C to stop.')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`sandbox exited with ${code}:\n${output}`)));
  });
  return { child, output };
}

function stop(child: ChildProcess, signal: 'SIGINT' | 'SIGTERM'): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', (code) => resolve(code));
    child.kill(signal);
  });
}

function run(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [GINKO, ...args], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}
