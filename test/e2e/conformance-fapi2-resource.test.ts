// FAPI 2.0 Security Profile conformance (research/fapi-conformance.md §2.2, §2.6): the resource server.
// The happy flow's checks for every client authentication × sender constraint (Date, the interaction id,
// other Accept headers, the scheme in any case; no token in the query; one client's certificate or key never
// with another client's token), DPoP proofs with extra nbf/exp or ±10 s of skew at PAR, token endpoint and
// APIs (modules 9–12), and module 41: every malformed or misbound DPoP proof refused, the tolerated variations
// accepted, and a correct proof working at the end.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { fetch, Headers } from 'undici';
import { now } from '../support/conformance.ts';
import { apiFapi2, authorizeFapi2, codeOf, DpopKey, fapi2Request, fapi2Suite, redeemFapi2, type Fapi2Case, type Fapi2Client, type ProofOptions } from '../support/conformance-fapi2.ts';

const suite = fapi2Suite();

/** An access token of this client, from a whole authorization (OpenID Connect). */
async function accessTokenOf(tpp: Fapi2Client, options: Parameters<typeof redeemFapi2>[3] = {}): Promise<string> {
  const request = fapi2Request('openid_connect');
  const redeemed = await redeemFapi2(tpp, request, codeOf(await authorizeFapi2(tpp, request, options), request.state), options);
  assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
  return redeemed.body.access_token;
}

const ONE_PER_CONSTRAINT = { openid: ['openid_connect' as const] };

describe('the bank APIs in the happy flow (modules 2, 9)', () => {
  test('200 with Date and the interaction id; other Accept headers; the scheme in any case; never in the query; never with another client\'s binding', async (t) => {
    await suite.eachCase(t, async (c: Fapi2Case) => {
      const token = await accessTokenOf(c.tpp);
      const interactionId = randomUUID();
      const answer = await apiFapi2(c.tpp, '/accounts', token, { headers: { 'x-fapi-interaction-id': interactionId } });
      assert.equal(answer.status, 200);
      assert.ok(answer.headers.get('date'));
      assert.equal(answer.headers.get('x-fapi-interaction-id'), interactionId);
      for (const accept of ['*/*', 'application/json, text/plain;q=0.5']) assert.equal((await apiFapi2(c.tpp, '/accounts', token, { headers: { accept } })).status, 200, accept);
      // 9: the scheme, case-inverted (the proof, if any, is the same).
      const inverted = await invertedScheme(c.tpp, token);
      assert.equal(inverted, 200, 'the authentication scheme is case-insensitive');
      // 5.3.4-2: the token only in the header.
      const inQuery = await fetch(`${suite.bank().config.mtls.publicUrl}/api/v1/accounts?access_token=${token}`, { dispatcher: c.tpp.client.agent });
      assert.ok(inQuery.status === 400 || inQuery.status === 401, `token in the query: ${inQuery.status}`);
      await inQuery.text();
      // Client 2's token with client 1's certificate, or with client 1's DPoP key.
      const otherToken = await accessTokenOf(c.other);
      const crossed = c.constraint === 'dpop' ? await apiFapi2(c.other, '/accounts', otherToken, { dpop: c.tpp.dpop! }) : await apiFapi2(c.other, '/accounts', otherToken, { agent: c.tpp.client.agent });
      assert.ok(crossed.status >= 400 && crossed.status < 500, `another client's binding: ${crossed.status}`);
    }, ONE_PER_CONSTRAINT);
  });
});

/** The call with the scheme written `bEARER` / `dPOP`. */
async function invertedScheme(tpp: Fapi2Client, token: string): Promise<number> {
  const url = `${suite.bank().config.mtls.publicUrl}/api/v1/accounts`;
  const proof = tpp.dpop ? await tpp.dpop.proof('GET', url, { accessToken: token }) : undefined;
  const response = await fetch(url, { headers: { authorization: `${proof ? 'dPOP' : 'bEARER'} ${token}`, ...(proof ? { dpop: proof } : {}) }, dispatcher: tpp.client.agent });
  await response.text();
  return response.status;
}

describe('DPoP proofs the suite requires to be accepted (modules 10–12)', () => {
  test('with extra nbf and exp, and with iat 10 seconds behind or ahead, at PAR, the token endpoint and the APIs', async (t) => {
    await suite.eachCase(t, async (c) => {
      const variations: [string, ProofOptions][] = [
        ['nbf now, exp in 5 minutes', { claims: { nbf: now(), exp: now() + 300 } }],
        ['iat 10 s behind', { claims: { iat: now() - 10 } }],
        ['iat 10 s ahead', { claims: { iat: now() + 10 } }],
      ];
      for (const [what, proof] of variations) {
        const token = await accessTokenOf(c.tpp, { dpop: c.tpp.dpop!, proof });
        assert.equal((await apiFapi2(c.tpp, '/accounts', token, { proof })).status, 200, what);
      }
    }, { methods: ['private_key_jwt'], constraints: ['dpop'], openid: ['openid_connect'] });
  });
});

describe('module 41: DPoP proofs at the bank APIs', () => {
  test('each malformed or misbound proof is refused; the tolerated variations pass; a correct proof works at the end', async (t) => {
    await suite.eachCase(t, async (c) => {
      const dpop = c.tpp.dpop!;
      const token = await accessTokenOf(c.tpp);
      const base = `${suite.bank().config.mtls.publicUrl}/api/v1/accounts`;
      const rsa = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
      const stranger = await DpopKey.generate();
      const call = async (authorization: string, proofs: string[], url = base): Promise<number> => {
        const headers = new Headers({ authorization, accept: 'application/json' });
        for (const proof of proofs) headers.append('dpop', proof);
        const response = await fetch(url, { headers, dispatcher: c.tpp.client.agent });
        await response.text();
        return response.status;
      };
      const proof = (options: ProofOptions = {}, htm = 'GET', htu = base) => dpop.proof(htm, htu, { accessToken: token, ...options });
      // Start with a current nonce, as the suite does after its first retry.
      assert.equal((await apiFapi2(c.tpp, '/accounts', token)).status, 200);

      const refused: [string, () => Promise<string[]>][] = [
        ['two DPoP headers', async () => [await proof(), await proof()]],
        ['not a JWT', async () => ['not.a.jwt']],
        ...(['typ', 'alg', 'jwk'] as const).map((name): [string, () => Promise<string[]>] => [`no ${name}`, async () => [await proof({ header: { [name]: undefined } })]]),
        ...(['jti', 'htm', 'htu', 'iat', 'ath'] as const).map((name): [string, () => Promise<string[]>] => [`no ${name}`, async () => [await proof({ claims: { [name]: undefined } })]]),
        ['typ jwt', async () => [await proof({ header: { typ: 'jwt' } })]],
        ['alg none', async () => [await proof({ header: { alg: 'none' } })]],
        ['alg RS256 (an RSA key)', async () => [await rsaProof(rsa, base, token)]],
        ['a bad signature', async () => [corrupt(await proof())]],
        ['the private key in jwk', async () => [await proof({ header: { jwk: await exportJWK(dpop.keys.privateKey) } })]],
        ['htm POST', async () => [await proof({}, 'POST')]],
        ['htu another URL', async () => [await proof({}, 'GET', `${suite.bank().config.mtls.publicUrl}/api/v1/accounts/balances`)]],
        ['iat an hour ago', async () => [await proof({ claims: { iat: now() - 3600 } })]],
        ['iat an hour ahead', async () => [await proof({ claims: { iat: now() + 3600 } })]],
        ['a wrong ath', async () => [await proof({ accessToken: `${token}x` })]],
        ['another key than the token\'s', async () => [await stranger.proof('GET', base, { accessToken: token, claims: { nonce: dpop.nonce } })]],
        ['no proof', async () => []],
      ];
      for (const [what, make] of refused) {
        const status = await call(`DPoP ${token}`, await make());
        assert.ok(status === 400 || status === 401, `${what}: ${status}`);
      }
      assert.equal(await call(`Bearer ${token}`, []), 401, 'no proof, scheme Bearer');
      const once = await proof();
      assert.equal(await call(`DPoP ${token}`, [once]), 200);
      assert.equal(await call(`DPoP ${token}`, [once]), 401, 'a jti used before');

      const balances = `${suite.bank().config.mtls.publicUrl}/api/v1/accounts/balances`;
      const accepted: [string, () => Promise<[string[], string]>][] = [
        ['htu with the request\'s query', async () => [[await proof({}, 'GET', `${balances}?x=1`)], balances]],
        ['htu without the request\'s query', async () => [[await proof({}, 'GET', balances)], `${balances}?accountId=${(await firstAccount(c.tpp, token))}`]],
        ['extra header and claim members', async () => [[await proof({ header: { extra: 'x' }, claims: { extra: 'y' } })], base]],
        ['scheme and host in upper case', async () => [[await proof({}, 'GET', base.replace('https://localhost', 'HTTPS://LOCALHOST'))], base]],
      ];
      for (const [what, make] of accepted) {
        const [proofs, url] = await make();
        assert.equal(await call(`DPoP ${token}`, proofs, url), 200, what);
      }
      assert.equal(await call(`DPoP ${token}`, [await proof()]), 200, 'a correct proof still works');
    }, { constraints: ['dpop'], openid: ['openid_connect'] });
  });
});

async function firstAccount(tpp: Fapi2Client, token: string): Promise<string> {
  return (await apiFapi2(tpp, '/accounts', token)).body.accounts[0].accountId;
}

async function rsaProof(rsa: Awaited<ReturnType<typeof generateKeyPair>>, htu: string, token: string): Promise<string> {
  return new SignJWT({ htm: 'GET', htu, iat: now(), jti: randomUUID(), ath: createHash('sha256').update(token).digest('base64url') })
    .setProtectedHeader({ alg: 'RS256', typ: 'dpop+jwt', jwk: await exportJWK(rsa.publicKey) })
    .sign(rsa.privateKey);
}

function corrupt(jws: string): string {
  const [header, payload, signature] = jws.split('.') as [string, string, string];
  return `${header}.${payload}.${Buffer.from(Buffer.from(signature, 'base64url').map((byte) => byte ^ 0x5a)).toString('base64url')}`;
}
