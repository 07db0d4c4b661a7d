// Signing-key rotation across two nodes that share one keys file (GINKO_KEYS_FILE) and nothing else:
// a rotated key is in both nodes' JWKS before either signs with it; then it signs ID tokens and JARM
// responses while the old key stays published; once everything the old key signed has expired, both
// nodes drop it. A broken file is not taken over, and a file others can read is refused at start.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeProtectedHeader, type JWK } from 'jose';
import { Agent, fetch } from 'undici';
import { createKeysFile, KEY_RETENTION_SECONDS, loadKeys, rotateKeysFile } from '../../src/auth/keys.ts';
import { parseKeySet, serializeKeySet } from '../../src/auth/key-set.ts';
import { ConfigError } from '../../src/config/config.ts';
import { startTestBank, type TestBank } from '../support/bank.ts';
import { assertAuthorized, authorizationRequest, Client, endpoints, loginAndApprove, newBrowser, open, redeem, start } from '../support/conformance.ts';

const RELOAD_SECONDS = 1;
const PUBLISH_LEAD_SECONDS = 4;

let workDir: string;
let keysFile: string;
let nodes: [TestBank, TestBank];
let tpp: Client;

before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'ginko-keys-'));
  keysFile = join(workDir, 'secrets', 'keys.json');
  await createKeysFile(keysFile);
  const env = { GINKO_KEYS_FILE: keysFile, GINKO_KEYS_RELOAD_SECONDS: String(RELOAD_SECONDS) };
  nodes = [await startTestBank(env), await startTestBank(env)];
  tpp = await Client.register(nodes[0], 'private_key_jwt');
});

after(async () => {
  await tpp?.close();
  for (const node of nodes ?? []) await node.stop();
  rmSync(workDir, { recursive: true, force: true });
});

async function jwks(node: TestBank): Promise<JWK[]> {
  const agent = new Agent({ connect: { ca: node.pki.caCertificatePem } });
  try {
    const response = await fetch(endpoints(node).jwks, { dispatcher: agent });
    return ((await response.json()) as { keys: JWK[] }).keys;
  } finally {
    await agent.close();
  }
}

const kids = (keys: JWK[]) => keys.map((key) => key.kid!).sort();

/** Both nodes publish the same keys, with no private part. */
async function publishedKids(): Promise<string[]> {
  const [a, b] = await Promise.all(nodes.map(jwks));
  assert.deepEqual(kids(a!), kids(b!), 'both nodes publish the same JWKS');
  for (const key of a!) assert.equal(key.d, undefined, 'no private key in the JWKS');
  return kids(a!);
}

/** One linking on node A (JARM): the kids that signed the JARM response and the ID token, both verified against the JWKS by the helpers. */
async function signingKids(): Promise<{ jarm: string | undefined; idToken: string | undefined }> {
  const variant = { request: 'par', response: 'jarm' } as const;
  const request = authorizationRequest(tpp, variant);
  const browser = newBrowser(tpp.bank);
  try {
    const outcome = await loginAndApprove(tpp, await open(tpp, await start(tpp, variant, request), browser), browser);
    const { code } = await assertAuthorized(tpp, variant, outcome, request.state, request.nonce);
    const jarm = new URL((outcome as { url: string }).url).searchParams.get('response')!;
    const tokens = await redeem(tpp, request, code);
    return { jarm: decodeProtectedHeader(jarm).kid, idToken: decodeProtectedHeader(tokens.id_token!).kid };
  } finally {
    await browser.close();
  }
}

const signingKeysInFile = () => JSON.parse(readFileSync(keysFile, 'utf8')).signingKeys as { jwk: JWK; signFrom: string; publishFrom: string }[];

test('a rotated key is published on every node before it signs, then signs while the old key stays published', async () => {
  const [oldPs256] = signingKeysInFile().map((key) => key.jwk.kid!);
  const before = await publishedKids();
  assert.equal(before.length, 2);
  assert.deepEqual(await signingKids(), { jarm: oldPs256, idToken: oldPs256 });

  await rotateKeysFile(keysFile, { publishLeadSeconds: PUBLISH_LEAD_SECONDS });
  const [, , newPs256, newEs256] = signingKeysInFile().map((key) => key.jwk.kid!);
  await sleep((RELOAD_SECONDS + 0.5) * 1000);
  assert.deepEqual(await publishedKids(), [...before, newPs256!, newEs256!].sort(), 'the new keys are in both JWKS after one reload');
  assert.deepEqual(await signingKids(), { jarm: oldPs256, idToken: oldPs256 }, 'and do not sign yet');

  const { signFrom } = signingKeysInFile()[2]!;
  await sleep(Math.max(0, Date.parse(signFrom) - Date.now()) + 200);
  assert.deepEqual(await signingKids(), { jarm: newPs256, idToken: newPs256 }, 'after the publish lead the new key signs (and the TPP verifies it from the JWKS)');
  assert.deepEqual((await publishedKids()).length, 4, 'the old keys stay published while what they signed may still be checked');
});

test('once everything the old keys signed has expired, both nodes drop them; the next rotation prunes them from the file', async () => {
  // As if the retention had passed: the whole schedule moved back in time.
  const set = parseKeySet(readFileSync(keysFile, 'utf8'));
  const shiftMs = (KEY_RETENTION_SECONDS + PUBLISH_LEAD_SECONDS) * 1000;
  for (const key of set.signingKeys) {
    key.publishFromMs = Math.max(0, key.publishFromMs - shiftMs);
    key.signFromMs = Math.max(0, key.signFromMs - shiftMs);
  }
  replaceFile(serializeKeySet(set));
  await sleep((RELOAD_SECONDS + 0.5) * 1000);
  const [, , newPs256, newEs256] = set.signingKeys.map((key) => key.jwk.kid!);
  assert.deepEqual(await publishedKids(), [newPs256!, newEs256!].sort());
  assert.equal((await signingKids()).idToken, newPs256);

  await rotateKeysFile(keysFile, { publishLeadSeconds: PUBLISH_LEAD_SECONDS });
  const inFile = signingKeysInFile().map((key) => key.jwk.kid);
  assert.equal(inFile.length, 4, 'the retired keys are gone from the file, the current and the next remain');
  assert.ok(inFile.includes(newPs256) && inFile.includes(newEs256));
});

test('a broken keys file is not taken over: the nodes keep signing with the keys they have', async () => {
  const published = await publishedKids();
  replaceFile('{"signingKeys": "gone"');
  await sleep((RELOAD_SECONDS + 0.5) * 1000);
  assert.deepEqual(await publishedKids(), published);
  assert.ok((await signingKids()).idToken);
});

test('a keys file readable by group or others is refused at start, saying how to fix it', async () => {
  const file = join(workDir, 'loose.json');
  await createKeysFile(file);
  chmodSync(file, 0o640);
  await assert.rejects(loadKeys({ dataDir: workDir, keysFile: file }), (error: Error) => error instanceof ConfigError && error.message.includes(`chmod 600 ${file}`) && !error.message.includes('"d"'));
  chmodSync(file, 0o600);
  assert.ok(await loadKeys({ dataDir: workDir, keysFile: file }));
});

/** Writes the keys file the way an operator's tooling should: whole, by rename, owner-only. */
function replaceFile(text: string): void {
  const next = `${keysFile}.next`;
  writeFileSync(next, text, { mode: 0o600 });
  renameSync(next, keysFile);
}
