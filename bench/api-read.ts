// Scenario 1 — bank API read: GET /api/v1/accounts/balances over mTLS with keep-alive and a
// certificate-bound token, 50 connections. Baseline: a bare Fastify route on the same TLS options
// returning a JSON body of the same size.
import Fastify from 'fastify';
import { fapiTlsOptions } from '../src/http/tls.ts';
import type { BenchBank } from './bank.ts';
import { httpLoad, inWorker, type HttpLoad, type LoadResult } from './measure.ts';
import { fmt, met, ratioOf, type BenchContext, type ScenarioResult } from './report.ts';

export const BALANCES_PATH = '/api/v1/accounts/balances';
export const API_READ_CONNECTIONS = 50;
const TARGET = { ratio: 0.6, p99Ms: 20 } as const;

export interface ReadLoadInput {
  origin: string;
  accessToken: string;
  tls: { ca: string; cert: string; key: string };
  durationMs: number;
  warmupMs: number;
}

/** The scenario's load, in a worker thread: also what the footprint scenario puts on the sandbox. */
export function balancesLoad(input: ReadLoadInput): Promise<LoadResult> {
  const load: HttpLoad = {
    origin: input.origin,
    method: 'GET',
    path: BALANCES_PATH,
    headers: { authorization: `Bearer ${input.accessToken}`, accept: 'application/json' },
    expectStatus: 200,
    tls: input.tls,
    concurrency: API_READ_CONNECTIONS,
    durationMs: input.durationMs,
    warmupMs: input.warmupMs,
    maxCount: 5_000_000,
  };
  return inWorker<LoadResult>(new URL('./measure.ts', import.meta.url), 'httpLoad', load, input.durationMs + input.warmupMs + 60_000);
}

/** Links the demo customer (all accounts) and returns a certificate-bound access token and the response body. */
export async function linkForReads(bench: BenchBank): Promise<{ accessToken: string; body: string }> {
  const tokens = await bench.tpp.link({ requestMethod: 'par', responseMode: 'jarm', ...bench.customer, accountIndexes: [0, 1] });
  const sample = await bench.tpp.api('/accounts/balances', tokens.accessToken);
  if (sample.status !== 200) throw new Error(`balances answered ${sample.status}`);
  return { accessToken: tokens.accessToken, body: JSON.stringify(sample.body) };
}

export async function apiReadScenario(ctx: BenchContext, bench: BenchBank): Promise<ScenarioResult> {
  const { accessToken, body } = await linkForReads(bench);
  const { bank, registered } = bench;
  const tls = { ca: bank.pki.caCertificatePem, cert: registered.certificatePem, key: registered.privateKeyPem };
  const durationMs = ctx.quick ? 2_000 : 15_000;
  const warmupMs = ctx.quick ? 500 : 3_000;

  // Same TLS options as the mTLS listener, same certificate; a route that only sends the same bytes.
  const bare = Fastify({
    https: fapiTlsOptions({ certificatePem: bank.pki.serverCertificatePem, privateKeyPem: bank.pki.serverPrivateKeyPem, caCertificatePem: bank.pki.caCertificatePem, requestClientCertificate: true }),
  });
  bare.get(BALANCES_PATH, async (_request, reply) => reply.header('content-type', 'application/json; charset=utf-8').send(body));
  await bare.listen({ host: '127.0.0.1', port: 0 });
  const barePort = (bare.server.address() as { port: number }).port;
  try {
    ctx.log(`  baseline: bare Fastify, ${API_READ_CONNECTIONS} connections, ${durationMs} ms`);
    const baseline = await balancesLoad({ origin: `https://localhost:${barePort}`, accessToken, tls, durationMs, warmupMs });
    ctx.log(`  Ginko: ${API_READ_CONNECTIONS} connections, ${durationMs} ms`);
    const ginko = await balancesLoad({ origin: bank.config.mtls.publicUrl, accessToken, tls, durationMs, warmupMs });
    return apiReadResult(ginko, baseline, body.length);
  } finally {
    await bare.close();
  }
}

function apiReadResult(ginko: LoadResult, baseline: LoadResult, bodyBytes: number): ScenarioResult {
  const ratio = ratioOf(ginko.perSecond, baseline.perSecond);
  const scenario = '1. API read (balances, mTLS, 50 conns)';
  return {
    id: 'api-read',
    title: scenario,
    rows: [
      { scenario, metric: 'requests/s', ginko: fmt(ginko.perSecond, 0), baseline: fmt(baseline.perSecond, 0), ratio: fmt(ratio, 2), target: `≥ ${TARGET.ratio} × baseline`, status: met(ratio >= TARGET.ratio) },
      { scenario, metric: 'p50 latency (ms)', ginko: fmt(ginko.p50Ms), baseline: fmt(baseline.p50Ms), ratio: '', target: '', status: '' },
      { scenario, metric: 'p99 latency (ms)', ginko: fmt(ginko.p99Ms), baseline: fmt(baseline.p99Ms), ratio: '', target: `< ${TARGET.p99Ms} ms`, status: met(ginko.p99Ms < TARGET.p99Ms) },
    ],
    charts: [
      { title: '1. API read', unit: 'requests/s', bars: [{ label: 'Ginko balances', value: ginko.perSecond, kind: 'ginko' }, { label: 'bare Fastify', value: baseline.perSecond, kind: 'baseline' }], limit: { value: baseline.perSecond * TARGET.ratio, label: `${TARGET.ratio}×` } },
      { title: '1. API read p99', unit: 'ms', bars: [{ label: 'Ginko balances', value: ginko.p99Ms, kind: 'ginko' }, { label: 'bare Fastify', value: baseline.p99Ms, kind: 'baseline' }], limit: { value: TARGET.p99Ms, label: `${TARGET.p99Ms} ms` } },
    ],
    data: { ginko, baseline, ratio, bodyBytes, connections: API_READ_CONNECTIONS },
    notes: [ginko.errors + baseline.errors > 0 ? `errors: Ginko ${ginko.errors} (${ginko.firstError ?? ''}), baseline ${baseline.errors} (${baseline.firstError ?? ''})` : ''].filter(Boolean),
  };
}
