// Scenario 2 — token endpoint: authorization-code exchange with private_key_jwt over mTLS, issuing a
// PS256 ID token. Codes come from the real flow (PAR → authorize → login → consent) before the timed
// phase; the timed phase sends one prepared request per code. Baseline: bare oidc-provider with the
// same FAPI configuration on its in-memory adapter. Also: PS256 signatures per second in one thread.
import { randomUUID } from 'node:crypto';
import { CompactSign, importJWK, SignJWT, type JWK } from 'jose';
import { OIDC_ROUTES } from '../src/auth/routes.ts';
import { CustomerBrowser, type Page } from '../test/support/browser.ts';
import { logIn } from '../test/support/passkeys.ts';
import { TestTpp } from '../test/support/tpp.ts';
import type { BenchBank } from './bank.ts';
import { startBareProvider } from './bare-provider.ts';
import { closedLoop, inWorker, mergeResults, type HttpLoad, type LoadResult } from './measure.ts';
import { fmt, met, ratioOf, type BenchContext, type ScenarioResult } from './report.ts';

const TOKEN_CONNECTIONS = 10;
const TOKEN_ROUNDS = 3;
/** Authorization codes live 60 s: getting them and spending them both fit well inside that. */
const CODE_GATHERING_MS = 25_000;
const TARGET_RATIO = 0.9;
const SCOPE = 'openid accounts';

interface Redeemable {
  code: string;
  codeVerifier: string;
}

function hasForm(browser: CustomerBrowser, page: Page, action: string): boolean {
  try {
    browser.form(page, action);
    return true;
  } catch {
    return false;
  }
}

let lastLogin: Promise<unknown> = Promise.resolve();
function oneLoginAtATime<T>(login: () => Promise<T>): Promise<T> {
  const next = lastLogin.then(login, login);
  lastLogin = next.catch(() => undefined);
  return next;
}

/**
 * One authorization code through the real front channel: a pushed, signed request; the customer's
 * browser logs in (once per browser: the session then carries it) and consents to the first account,
 * or the baseline approves by itself.
 */
async function codeThroughFlow(tpp: TestTpp, browser: CustomerBrowser, customer: { loginId: string; password: string }): Promise<Redeemable> {
  const { url, checks } = await tpp.authorizationUrl({ requestMethod: 'par', responseMode: 'code_id_token', scope: SCOPE });
  let result = await browser.open(url.href);
  // The customer logs in as the tests do, with a passkey (test/support/passkeys.ts): one login at a time, since
  // a passkey's signature counter must grow, so its uses cannot overlap (the rest of the flows run at once).
  if (!('tppUrl' in result) && hasForm(browser, result, '/login')) {
    const login = result;
    result = await oneLoginAtATime(() => logIn(browser, login, customer));
  }
  if (!('tppUrl' in result)) {
    const accounts = browser.form(result, '/consent').fields.filter((f) => f.name === 'accountId');
    result = await browser.submit(result, '/consent', { accountId: [accounts[0]!.value] });
  }
  if (!('tppUrl' in result)) throw new Error(`the flow did not return to the TPP: ${result.status} ${result.html.slice(0, 200)}`);
  const code = new URLSearchParams(new URL(result.tppUrl).hash.slice(1)).get('code');
  if (!code) throw new Error(`no code in ${result.tppUrl}`);
  return { code, codeVerifier: checks.codeVerifier };
}

/**
 * A fresh browser (so a fresh login) per code: a browser session holds one grant per client, and
 * oidc-provider drops the previous grant, and so the previous code, when a new one replaces it.
 */
async function gatherCodes(tpp: TestTpp, customer: { loginId: string; password: string }, count: number, timeMs: number): Promise<Redeemable[]> {
  const codes: Redeemable[] = [];
  const result = await closedLoop(
    async () => {
      const browser = new CustomerBrowser(tpp.endpoints.caCertificatePem, tpp.redirectUri);
      try {
        codes.push(await codeThroughFlow(tpp, browser, customer));
      } finally {
        await browser.close();
      }
    },
    { concurrency: 4, durationMs: timeMs, maxCount: count },
  );
  if (result.errors > 0) throw new Error(`getting codes failed ${result.errors} times: ${result.firstError}`);
  return codes;
}

/** The token request the TPP sends: private_key_jwt assertion (PS256, aud = issuer), PKCE verifier. */
async function tokenRequestBodies(tpp: TestTpp, codes: Redeemable[]): Promise<string[]> {
  const jwk = tpp.registered.signingKey as JWK;
  const key = await importJWK(jwk, 'PS256');
  const clientId = tpp.registered.clientId;
  return Promise.all(
    codes.map(async ({ code, codeVerifier }) => {
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: 'PS256', kid: jwk.kid! })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(tpp.endpoints.issuer)
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(key);
      return new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: tpp.redirectUri,
        code_verifier: codeVerifier,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }).toString();
    }),
  );
}

/**
 * One round: gathers up to `count` codes, then spends a few untimed (warm-up) and the rest timed,
 * from a worker thread.
 */
async function tokenRound(ctx: BenchContext, tpp: TestTpp, customer: { loginId: string; password: string }, count: number): Promise<LoadResult & { codes: number }> {
  const codes = await gatherCodes(tpp, customer, count, ctx.quick ? 5_000 : CODE_GATHERING_MS);
  ctx.log(`    ${codes.length} codes through the flow; exchanging them`);
  const bodies = await tokenRequestBodies(tpp, codes);
  const timed = await inWorker<LoadResult>(
    new URL('./measure.ts', import.meta.url),
    'httpLoad',
    {
      origin: tpp.endpoints.mtlsUrl,
      method: 'POST',
      path: OIDC_ROUTES.token,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      bodies,
      // One exchange per connection opens it (TLS handshake) before the timed phase.
      warmupBodies: Math.min(TOKEN_CONNECTIONS, Math.floor(bodies.length / 2)),
      expectStatus: 200,
      tls: { ca: tpp.endpoints.caCertificatePem, cert: tpp.registered.certificatePem, key: tpp.registered.privateKeyPem },
      concurrency: TOKEN_CONNECTIONS,
      durationMs: 40_000,
      maxCount: bodies.length,
      keepLatencies: true,
    } satisfies HttpLoad,
    60_000,
  );
  return { ...timed, codes: codes.length };
}

/** PS256 signatures of an ID-token-sized payload per second, one thread, as oidc-provider signs them (jose). */
async function ps256SignaturesPerSecond(durationMs: number): Promise<number> {
  const { generateKeyPair } = await import('jose');
  const { privateKey } = await generateKeyPair('PS256', { modulusLength: 2048 });
  const payload = new TextEncoder().encode(JSON.stringify({ iss: 'https://localhost:8443', sub: randomUUID(), aud: 'tpp-abcdefghijklmnop', exp: 1, iat: 1, nonce: randomUUID(), at_hash: 'x'.repeat(22), c_hash: 'y'.repeat(22) }));
  const result = await closedLoop(async () => void (await new CompactSign(payload).setProtectedHeader({ alg: 'PS256', kid: 'k' }).sign(privateKey)), { concurrency: 1, durationMs, maxCount: 1_000_000 });
  return result.perSecond;
}

export async function tokenScenario(ctx: BenchContext, bench: BenchBank): Promise<ScenarioResult> {
  const bare = await startBareProvider(bench);
  const bareTpp = await TestTpp.create({ issuer: bare.issuer, mtlsUrl: bare.mtlsUrl, caCertificatePem: bare.caCertificatePem }, bench.registered);
  try {
    // The customer's logins (one at a time) bound how many codes fit in a code's 60 s life, so the
    // measurement is made in rounds; the baseline redeems as many codes per round as Ginko got.
    const ginkoRounds: (LoadResult & { codes: number })[] = [];
    const baselineRounds: (LoadResult & { codes: number })[] = [];
    for (let round = 0; round < (ctx.quick ? 1 : TOKEN_ROUNDS); round++) {
      ctx.log(`  round ${round + 1}, Ginko: codes through PAR, authorize, login, consent`);
      const ginkoRound = await tokenRound(ctx, bench.tpp, bench.customer, 2_000);
      ginkoRounds.push(ginkoRound);
      ctx.log(`  round ${round + 1}, baseline: bare oidc-provider, same configuration, auto-approval`);
      baselineRounds.push(await tokenRound(ctx, bareTpp, bench.customer, ginkoRound.codes));
    }
    const codes = (rounds: { codes: number }[]) => rounds.reduce((sum, r) => sum + r.codes, 0);
    const ginko = { ...mergeResults(ginkoRounds), codes: codes(ginkoRounds) };
    const baseline = { ...mergeResults(baselineRounds), codes: codes(baselineRounds) };
    const signatures = await ps256SignaturesPerSecond(ctx.quick ? 500 : 3_000);
    return tokenResult(ginko, baseline, signatures);
  } finally {
    await bareTpp.close();
    await bare.close();
  }
}

function tokenResult(ginko: LoadResult & { codes: number }, baseline: LoadResult & { codes: number }, signaturesPerSecond: number): ScenarioResult {
  const ratio = ratioOf(ginko.perSecond, baseline.perSecond);
  const scenario = `2. Token endpoint (code → tokens, private_key_jwt, ${TOKEN_CONNECTIONS} conns)`;
  return {
    id: 'token',
    title: scenario,
    rows: [
      { scenario, metric: 'exchanges/s', ginko: fmt(ginko.perSecond, 0), baseline: fmt(baseline.perSecond, 0), ratio: fmt(ratio, 2), target: `≥ ${TARGET_RATIO} × baseline`, status: met(ratio >= TARGET_RATIO) },
      { scenario, metric: 'p50 / p99 latency (ms)', ginko: `${fmt(ginko.p50Ms)} / ${fmt(ginko.p99Ms)}`, baseline: `${fmt(baseline.p50Ms)} / ${fmt(baseline.p99Ms)}`, ratio: '', target: '', status: '' },
      { scenario, metric: 'PS256 signatures/s (one thread, same run)', ginko: fmt(signaturesPerSecond, 0), baseline: '', ratio: '', target: 'the signing limit', status: '' },
    ],
    charts: [
      {
        title: '2. Token endpoint',
        unit: 'exchanges/s',
        bars: [{ label: 'Ginko /oauth/token', value: ginko.perSecond, kind: 'ginko' }, { label: 'bare oidc-provider', value: baseline.perSecond, kind: 'baseline' }],
        limit: { value: baseline.perSecond * TARGET_RATIO, label: `${TARGET_RATIO}×` },
      },
    ],
    data: { ginko, baseline, ratio, signaturesPerSecond, connections: TOKEN_CONNECTIONS, codesExchanged: { ginko: ginko.codes, baseline: baseline.codes } },
    notes: [ginko.errors + baseline.errors > 0 ? `errors: Ginko ${ginko.errors} (${ginko.firstError ?? ''}), baseline ${baseline.errors} (${baseline.firstError ?? ''})` : ''].filter(Boolean),
  };
}
