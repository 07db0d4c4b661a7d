// Scenario 3 — the whole linking flow: PAR → authorize → login → consent → token → first API call,
// as many as the machine does in a bounded time. The TPP and the customer's browser run in a worker
// thread (their signing and verifying is not the bank's cost). Baseline: the same flow on bare
// oidc-provider with the same configuration and auto-approval; its first API call is userinfo.
import { fetch as undiciFetch } from 'undici';
import { CustomerBrowser } from '../test/support/browser.ts';
import { loginAndConsent, TestTpp, type BankEndpoints } from '../test/support/tpp.ts';
import { credentialsOf, type BenchBank, type TppCredentials } from './bank.ts';
import { startBareProvider } from './bare-provider.ts';
import { DEMO_CUSTOMERS } from '../src/bank/demo-data.ts';
import { closedLoop, inWorker, type LoadResult } from './measure.ts';
import { fmt, met, ratioOf, type BenchContext, type ScenarioResult } from './report.ts';

const FLOWS_IN_FLIGHT = 4;
const TARGET_RATIO = 0.8;

export interface LinkingLoad {
  endpoints: BankEndpoints;
  credentials: TppCredentials;
  /** The bank's pages need customers; the baseline approves by itself. */
  customers?: { loginId: string; password: string }[];
  durationMs: number;
  warmupMs: number;
}

/** Runs in the worker: whole flows, FLOWS_IN_FLIGHT at a time, until the time is up. */
export async function linkingFlows(load: LinkingLoad): Promise<LoadResult> {
  const tpp = await TestTpp.create(load.endpoints, load.credentials);
  const userinfo = tpp.config.serverMetadata().mtls_endpoint_aliases?.userinfo_endpoint;
  const lastLogin = new Map<string, Promise<unknown>>();
  const flow = async (_index: number, loop: number) => {
    const customer = load.customers?.[loop % load.customers.length];
    const variant = { requestMethod: 'par', responseMode: 'jarm' } as const;
    const browser = new CustomerBrowser(load.endpoints.caCertificatePem, tpp.redirectUri);
    try {
      const { url, checks } = await tpp.authorizationUrl(variant);
      let tppUrl: string;
      if (customer) {
        // A passkey's signature counter must grow, so one customer's logins never overlap.
        const previous = lastLogin.get(customer.loginId) ?? Promise.resolve();
        const login = previous.then(() => loginAndConsent(browser, url.href, customer));
        lastLogin.set(customer.loginId, login.catch(() => undefined));
        tppUrl = await login;
      } else {
        const result = await browser.open(url.href);
        if (!('tppUrl' in result)) throw new Error(`auto-approval did not return to the TPP: ${result.status}`);
        tppUrl = result.tppUrl;
      }
      const tokens = await tpp.redeem(tppUrl, checks, variant);
      if (customer) {
        const balances = await tpp.api('/accounts/balances', tokens.accessToken);
        if (balances.status !== 200) throw new Error(`balances answered ${balances.status}`);
      } else {
        const response = await undiciFetch(userinfo!, { headers: { authorization: `Bearer ${tokens.accessToken}` }, dispatcher: tpp.agent });
        await response.text();
        if (response.status !== 200) throw new Error(`userinfo answered ${response.status}`);
      }
    } finally {
      await browser.close();
    }
  };
  try {
    return await closedLoop(flow, { concurrency: FLOWS_IN_FLIGHT, durationMs: load.durationMs, warmupMs: load.warmupMs, maxCount: 100_000 });
  } finally {
    await tpp.close();
  }
}

export async function linkingScenario(ctx: BenchContext, bench: BenchBank): Promise<ScenarioResult> {
  const bare = await startBareProvider(bench);
  const durationMs = ctx.quick ? 3_000 : 20_000;
  const warmupMs = ctx.quick ? 500 : 2_000;
  const credentials = credentialsOf(bench.registered);
  const run = (load: LinkingLoad) => inWorker<LoadResult>(new URL(import.meta.url), 'linkingFlows', load, durationMs + warmupMs + 60_000);
  try {
    ctx.log(`  Ginko: ${FLOWS_IN_FLIGHT} flows in flight, ${durationMs} ms`);
    const ginko = await run({ endpoints: { issuer: bench.bank.config.browser.publicUrl, mtlsUrl: bench.bank.config.mtls.publicUrl, caCertificatePem: bench.bank.pki.caCertificatePem }, credentials, customers: [...DEMO_CUSTOMERS], durationMs, warmupMs });
    ctx.log(`  baseline: bare oidc-provider with auto-approval, ${durationMs} ms`);
    const baseline = await run({ endpoints: { issuer: bare.issuer, mtlsUrl: bare.mtlsUrl, caCertificatePem: bare.caCertificatePem }, credentials, durationMs, warmupMs });
    return linkingResult(ginko, baseline);
  } finally {
    await bare.close();
  }
}

function linkingResult(ginko: LoadResult, baseline: LoadResult): ScenarioResult {
  const ratio = ratioOf(ginko.perSecond, baseline.perSecond);
  const scenario = `3. Whole linking flow (${FLOWS_IN_FLIGHT} in flight)`;
  return {
    id: 'linking',
    title: scenario,
    rows: [
      { scenario, metric: 'flows/s', ginko: fmt(ginko.perSecond, 1), baseline: fmt(baseline.perSecond, 1), ratio: fmt(ratio, 2), target: `≥ ${TARGET_RATIO} × baseline`, status: met(ratio >= TARGET_RATIO) },
      { scenario, metric: 'p50 / p99 per flow (ms)', ginko: `${fmt(ginko.p50Ms, 0)} / ${fmt(ginko.p99Ms, 0)}`, baseline: `${fmt(baseline.p50Ms, 0)} / ${fmt(baseline.p99Ms, 0)}`, ratio: '', target: '', status: '' },
    ],
    charts: [
      {
        title: '3. Whole linking flow',
        unit: 'flows/s',
        bars: [{ label: 'Ginko (pages, login)', value: ginko.perSecond, kind: 'ginko' }, { label: 'bare oidc-provider', value: baseline.perSecond, kind: 'baseline' }],
        limit: { value: baseline.perSecond * TARGET_RATIO, label: `${TARGET_RATIO}×` },
      },
    ],
    data: { ginko, baseline, ratio, flowsInFlight: FLOWS_IN_FLIGHT },
    notes: [ginko.errors + baseline.errors > 0 ? `errors: Ginko ${ginko.errors} (${ginko.firstError ?? ''}), baseline ${baseline.errors} (${baseline.firstError ?? ''})` : ''].filter(Boolean),
  };
}
