// Scenario 6 — footprint: the sandbox as a newcomer starts it (`node bin/ginko.js start` on a fresh
// data folder: embedded PGlite, demo seed, dev PKI, keys), from spawn to 'Press Ctrl-C', and again on
// the same folder; its resident memory idle after each, and under scenario 1's load (50 connections
// on balances) after the restart.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_CUSTOMERS } from '../src/bank/demo-data.ts';
import { freePort } from '../test/support/bank.ts';
import { tppFromFolder } from '../test/support/tpp.ts';
import { balancesLoad } from './api-read.ts';
import { rssMiB, sampleRss, type LoadResult } from './measure.ts';
import { fmt, met, type BenchContext, type ScenarioResult } from './report.ts';

const GINKO = join(import.meta.dirname, '..', 'bin', 'ginko.js');
const TARGET = { coldStartS: 5, idleRssMB: 400 } as const;
/** The target is in MB (10^6 bytes); RSS is read in MiB. */
const IDLE_RSS_TARGET_MIB = (TARGET.idleRssMB * 1e6) / 2 ** 20;

/**
 * The options `npm start` gives node (package.json), so the bench starts the sandbox exactly as a newcomer
 * does: today a young generation sized for a sandbox rather than for the machine's memory.
 */
function startScriptNodeOptions(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [command, ...words] = scripts.start.split(/\s+/);
  if (command !== 'node') throw new Error(`the start script no longer runs node: ${scripts.start}`);
  return words.filter((word) => word.startsWith('--'));
}
const STARTUP_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

function startSandbox(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; readyMs: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...startScriptNodeOptions(), GINKO, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sandbox not ready in ${STARTUP_TIMEOUT_MS} ms:\n${output}`));
    }, STARTUP_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Press Ctrl-C')) {
        clearTimeout(timer);
        resolve({ child, readyMs: performance.now() - t0 });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sandbox exited with ${code}:\n${output}`));
    });
  });
}

function stopSandbox(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGINT');
  });
}

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [GINKO, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), STARTUP_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`ginko ${args.join(' ')} exited with ${code}: ${output}`));
    });
  });
}

export async function footprintScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const workDir = mkdtempSync(join(tmpdir(), 'ginko-bench-footprint-'));
  const [port, mtlsPort] = await Promise.all([freePort(), freePort()]);
  const env: NodeJS.ProcessEnv = { ...process.env, GINKO_DATA_DIR: join(workDir, 'data'), GINKO_HOST: '127.0.0.1', GINKO_PORT: String(port), GINKO_MTLS_PORT: String(mtlsPort), GINKO_LOG_LEVEL: 'warn' };
  let child: ChildProcess | undefined;
  try {
    const idleMs = ctx.quick ? 1_000 : 5_000;
    const cold = await startSandbox(env);
    child = cold.child;
    ctx.log(`  ready in ${(cold.readyMs / 1000).toFixed(2)} s from a fresh data folder; idling`);
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    const coldIdleMiB = rssMiB(child.pid!);
    await stopSandbox(child);
    // The everyday case: a second start on the same data folder (no initdb, no seeding, no keys).
    const started = await startSandbox(env);
    child = started.child;
    ctx.log(`  idle ${coldIdleMiB.toFixed(0)} MiB after the cold start; restarted in ${(started.readyMs / 1000).toFixed(2)} s; idling`);
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    const idleMiB = rssMiB(child.pid!);

    const tppDir = join(workDir, 'tpp');
    await runCli(['client', 'create', '--name', 'Bench', '--redirect-uri', 'https://tpp.example/callback', '--auth', 'private_key_jwt', '--out', tppDir], env);
    const tpp = await tppFromFolder(tppDir);
    let load: LoadResult;
    let peakMiB: number;
    try {
      const demo = DEMO_CUSTOMERS[0]!;
      const tokens = await tpp.link({ requestMethod: 'par', responseMode: 'jarm', loginId: demo.loginId, password: demo.password, accountIndexes: [0, 1] });
      const durationMs = ctx.quick ? 2_000 : 10_000;
      ctx.log(`  idle ${idleMiB.toFixed(0)} MiB; scenario 1's load on the sandbox for ${durationMs} ms`);
      const sampler = sampleRss(child.pid!);
      load = await balancesLoad({
        origin: tpp.endpoints.mtlsUrl,
        accessToken: tokens.accessToken,
        tls: { ca: tpp.endpoints.caCertificatePem, cert: tpp.registered.certificatePem, key: tpp.registered.privateKeyPem },
        durationMs,
        warmupMs: ctx.quick ? 500 : 2_000,
      });
      peakMiB = sampler.stop();
    } finally {
      await tpp.close();
    }
    return footprintResult({ coldMs: cold.readyMs, restartMs: started.readyMs, coldIdleMiB, idleMiB, peakMiB }, load);
  } finally {
    if (child) await stopSandbox(child);
    rmSync(workDir, { recursive: true, force: true });
  }
}

interface Footprint {
  coldMs: number;
  restartMs: number;
  coldIdleMiB: number;
  idleMiB: number;
  peakMiB: number;
}

function footprintResult(f: Footprint, load: LoadResult): ScenarioResult {
  const scenario = '6. Footprint (sandbox: PGlite)';
  return {
    id: 'footprint',
    title: scenario,
    rows: [
      { scenario, metric: 'cold start to ready, fresh data folder (s)', ginko: fmt(f.coldMs / 1000, 2), baseline: '', ratio: '', target: `< ${TARGET.coldStartS} s`, status: met(f.coldMs / 1000 < TARGET.coldStartS) },
      { scenario, metric: 'restart to ready, same data folder (s)', ginko: fmt(f.restartMs / 1000, 2), baseline: '', ratio: '', target: '', status: '' },
      { scenario, metric: 'resident memory idle after the cold start (MiB)', ginko: fmt(f.coldIdleMiB, 0), baseline: '', ratio: '', target: `< ${TARGET.idleRssMB} MB`, status: met(f.coldIdleMiB < IDLE_RSS_TARGET_MIB) },
      { scenario, metric: 'resident memory idle after a restart (MiB)', ginko: fmt(f.idleMiB, 0), baseline: '', ratio: '', target: `< ${TARGET.idleRssMB} MB`, status: met(f.idleMiB < IDLE_RSS_TARGET_MIB) },
      { scenario, metric: 'resident memory under scenario 1 (MiB, peak)', ginko: fmt(f.peakMiB, 0), baseline: '', ratio: '', target: '', status: '' },
      { scenario, metric: "scenario 1's load on the sandbox (requests/s, p99 ms)", ginko: `${fmt(load.perSecond, 0)}, ${fmt(load.p99Ms)}`, baseline: '', ratio: '', target: '', status: '' },
    ],
    charts: [
      {
        title: '6. Start to ready',
        unit: 's',
        bars: [{ label: 'fresh data folder', value: f.coldMs / 1000, kind: 'ginko' }, { label: 'restart', value: f.restartMs / 1000, kind: 'ginko' }],
        limit: { value: TARGET.coldStartS, label: `${TARGET.coldStartS} s` },
      },
      {
        title: '6. Resident memory',
        unit: 'MiB',
        bars: [
          { label: 'idle after cold start', value: f.coldIdleMiB, kind: 'ginko' },
          { label: 'idle after restart', value: f.idleMiB, kind: 'ginko' },
          { label: 'under scenario 1', value: f.peakMiB, kind: 'ginko' },
        ],
        limit: { value: IDLE_RSS_TARGET_MIB, label: `${TARGET.idleRssMB} MB idle` },
      },
    ],
    data: { ...f, load },
    notes: load.errors > 0 ? [`errors under load: ${load.errors} (${load.firstError ?? ''})`] : [],
  };
}
