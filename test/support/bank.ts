// A real sandbox bank for tests: its own data folder, free ports, silent logs.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { loadConfig, type GinkoConfig } from '../../src/config/config.ts';
import { startBank, type RunningBank } from '../../src/server.ts';
import { registerTpp, type RegisteredTpp, type TppAuthMethod, type TppRegistration } from '../../src/tpp/registry.ts';
import { createScratchDatabase, type ScratchDatabase } from './postgres.ts';

export interface TestBank extends RunningBank {
  /** Registers a TPP exactly as `ginko client create` does. */
  registerTpp(authMethod: TppAuthMethod, options?: Partial<Pick<TppRegistration, 'name' | 'redirectUris' | 'profile' | 'senderConstraint'>>): Promise<RegisteredTpp>;
  stop(): Promise<void>;
}

export const TPP_REDIRECT_URI = 'https://tpp.example/callback';

/**
 * `GINKO_TEST_STORE=postgres` runs every test bank on its own scratch PostgreSQL database instead of the embedded
 * PGlite, so the whole suite covers both stores (`npm test` runs it both ways); a test that passes its own
 * DATABASE_URL keeps it.
 */
const TEST_STORE = process.env.GINKO_TEST_STORE ?? 'embedded';

/**
 * On PostgreSQL a restart on the same GINKO_DATA_DIR must find the same database, as PGlite finds its files
 * there: such scratch databases live until the test process ends.
 */
const scratchByDataDir = new Map<string, ScratchDatabase>();
process.once('beforeExit', () => {
  for (const scratch of scratchByDataDir.values()) scratch.drop().catch((error: unknown) => console.warn('could not drop a scratch database:', error));
});

async function scratchDatabaseFor(callersDataDir: string | undefined): Promise<{ scratch: ScratchDatabase; dropAtStop: boolean }> {
  if (callersDataDir === undefined) return { scratch: await createScratchDatabase(), dropAtStop: true };
  let scratch = scratchByDataDir.get(callersDataDir);
  if (!scratch) {
    scratch = await createScratchDatabase();
    scratchByDataDir.set(callersDataDir, scratch);
  }
  return { scratch, dropAtStop: false };
}

/**
 * Quotas off unless a test sets its own: the suite drives thousands of requests from one loopback address
 * and a handful of TPPs, which production quotas would rightly refuse. test/e2e/quotas.test.ts sets them.
 */
const NO_QUOTAS = Object.fromEntries(
  ['PAR_PER_TPP', 'TOKEN_PER_TPP', 'API_PER_TPP', 'PAR_PER_ADDRESS', 'TOKEN_PER_ADDRESS', 'API_PER_ADDRESS', 'BROWSER_PER_ADDRESS'].map((name) => [`GINKO_QUOTA_${name}`, '0']),
);

/** `logger` replaces the silent one, for tests that read the bank's log lines. */
export async function startTestBank(env: Record<string, string> = {}, logger?: Logger): Promise<TestBank> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ginko-test-'));
  const [port, mtlsPort] = await Promise.all([freePort(), freePort()]);
  const { scratch, dropAtStop } = TEST_STORE === 'postgres' && !env.DATABASE_URL ? await scratchDatabaseFor(env.GINKO_DATA_DIR) : { scratch: undefined, dropAtStop: false };
  const config: GinkoConfig = loadConfig({
    GINKO_DATA_DIR: dataDir,
    GINKO_HOST: '127.0.0.1',
    GINKO_PORT: String(port),
    GINKO_MTLS_PORT: String(mtlsPort),
    GINKO_LOG_LEVEL: 'silent',
    ...NO_QUOTAS,
    ...(scratch ? { DATABASE_URL: scratch.url } : {}),
    ...env,
  });
  const bank = await startBank(config, logger).catch(async (error: unknown) => {
    if (dropAtStop) await scratch?.drop();
    throw error;
  });
  return {
    ...bank,
    registerTpp: (authMethod, options = {}) =>
      registerTpp(bank.store.db, bank.pki, {
        name: options.name ?? `Test TPP (${authMethod})`,
        redirectUris: options.redirectUris ?? [TPP_REDIRECT_URI, `${TPP_REDIRECT_URI}?second=1`],
        authMethod,
        profile: options.profile,
        senderConstraint: options.senderConstraint,
      }),
    async stop() {
      await bank.close();
      if (dropAtStop) await scratch?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
