// No secret in the bank's log: everything the bank writes at the most verbose level while a TPP links
// a customer's account (PAR, login with password, consent, token issue), calls the APIs, refreshes with
// its own client assertion and has a transfer approved with a one-time code is captured, then searched
// for every secret that passed through or sits in the bank: the signing keys and cookie secrets, the
// TPP's private keys, the customer's password and TOTP secret, access, refresh and ID tokens, the
// client assertion.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { importJWK, SignJWT } from 'jose';
import pino from 'pino';
import { DEMO_CUSTOMERS } from '../../src/bank/demo-data.ts';
import { DEMO_TOTP_SECRETS } from '../../src/bank/demo-totp.ts';
import { jstDate } from '../../src/bank/jst.ts';
import { startTestBank, type TestBank } from '../support/bank.ts';
import { endpoints, postForm } from '../support/conformance.ts';
import { TestTpp } from '../support/tpp.ts';
import { approveTransfer, PAR_JARM } from '../support/transfers.ts';

const tanaka = DEMO_CUSTOMERS[0]!;

const lines: string[] = [];
let bank: TestBank;
let tpp: TestTpp;

before(async () => {
  bank = await startTestBank({}, pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) }));
  tpp = await TestTpp.create(bank, await bank.registerTpp('private_key_jwt'));
});

after(async () => {
  await tpp?.close();
  await bank?.stop();
});

test('linking, API calls, a refresh and a transfer approval leave no secret in the log', async () => {
  const tokens = await tpp.link({ ...PAR_JARM, loginId: tanaka.loginId, password: tanaka.password, scope: 'openid accounts transfers offline_access' });
  assert.ok(tokens.refreshToken);
  const accountId = (await tpp.api('/accounts', tokens.accessToken)).body.accounts[0].accountId as string;
  assert.equal((await tpp.api(`/accounts/balances?accountId=${accountId}`, tokens.accessToken)).status, 200);

  const tokenUrl = endpoints(bank).token;
  const clientId = tpp.registered.clientId;
  const assertion = await new SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg: 'PS256', kid: tpp.registered.signingKey.kid! })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(tokenUrl)
    .setIssuedAt()
    .setExpirationTime('1m')
    .sign(await importJWK(tpp.registered.signingKey, 'PS256'));
  const refreshed = await postForm(
    tokenUrl,
    {
      grant_type: 'refresh_token',
      refresh_token: tokens.refreshToken,
      client_id: clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    },
    tpp.agent,
  );
  assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));

  const transfer = await tpp.post('/transfer/request', tokens.accessToken, {
    accountId,
    transferDesignatedDate: jstDate(new Date()),
    transfers: [{ transferAmount: '1200', beneficiaryBankCode: '0999', beneficiaryBranchCode: '201', accountTypeCode: '1', accountNumber: '2345678', beneficiaryName: 'スズキ ハナコ' }],
  }, { 'x-idempotency-key': randomUUID() });
  assert.equal(transfer.status, 201, JSON.stringify(transfer.body));
  const approved = await approveTransfer(tpp, transfer.body.applyNo, tanaka);

  const log = lines.join('');
  assert.ok(lines.length > 50 && log.includes('interactionId'), 'the bank did log (request lines with interaction ids)');
  const keys = JSON.parse(readFileSync(join(bank.config.dataDir, 'keys', 'authorization-server-keys.json'), 'utf8')) as { signingKeys: { jwk: Record<string, string> }[]; cookieKeys: string[] };
  const secrets: [string, string | undefined][] = [
    ...keys.signingKeys.flatMap(({ jwk }) =>
      ['d', 'p', 'q', 'dp', 'dq', 'qi'].filter((part) => jwk[part] !== undefined).map((part): [string, string | undefined] => [`the bank's signing key ${jwk.kid} (${part})`, jwk[part]]),
    ),
    ...keys.cookieKeys.map((key): [string, string] => ['a cookie secret', key]),
    ["the TPP's signing key", tpp.registered.signingKey.d],
    ["the TPP's certificate key", pemBody(tpp.registered.privateKeyPem)],
    ['the password', tanaka.password],
    ...Object.values(DEMO_TOTP_SECRETS).map((secret): [string, string] => ['a TOTP secret', secret]),
    ['the access token', tokens.accessToken],
    ['the refresh token', tokens.refreshToken],
    ['the refreshed access token', refreshed.body.access_token],
    ['the ID token', refreshed.body.id_token],
    ['the client assertion', assertion],
    ["the transfer approval's access token", approved.accessToken],
  ];
  for (const [name, secret] of secrets) {
    assert.ok(secret && secret.length >= 8, `${name} is known to the test`);
    assert.ok(!log.includes(secret), `${name} appears in the log`);
  }
});

/** A run of the PEM's base64 long enough to be the key and nothing else. */
function pemBody(pem: string): string {
  return pem.split('\n').filter((line) => line && !line.startsWith('-----')).join('').slice(40, 104);
}
