// Configuration: sandbox defaults, overridden by environment variables, validated once at start with
// messages that say what is wrong and how to fix it. Every limit the platform enforces lives here.
import { resolve } from 'node:path';

export interface ListenerConfig {
  /** Interface to bind. */
  host: string;
  port: number;
  /** Origin clients use to reach this listener (what discovery advertises). */
  publicUrl: string;
}

export interface GinkoConfig {
  /** Data folder: embedded database, dev PKI, signing keys, cookie secrets. */
  dataDir: string;
  /** PostgreSQL URL; when unset, embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  /** Browser-facing listener; its public URL is the issuer. No client certificate is asked for. */
  browser: ListenerConfig;
  /** Listener that asks for client certificates: PAR, token, userinfo, introspection, revocation, /api/v1. */
  mtls: ListenerConfig;
  /** Extra DNS names for the dev server certificate besides localhost. */
  serverHostnames: string[];
  /** How long a customer's consent lasts unless they choose otherwise (FAPI: grants expire). */
  consentDays: number;
  /** Access-token lifetime: short, since tokens are bearer-like between checks. */
  accessTokenTtlSeconds: number;
  /** Refresh-token lifetime, capped by the consent's own expiry. */
  refreshTokenTtlSeconds: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Whether to seed demo customers and history into an empty store. */
  seedDemoData: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: Env = process.env, overrides: Partial<GinkoConfig> = {}): GinkoConfig {
  const host = env.GINKO_HOST ?? 'localhost';
  const browserPort = port(env, 'GINKO_PORT', 8443);
  const mtlsPort = port(env, 'GINKO_MTLS_PORT', 8444);
  const config: GinkoConfig = {
    dataDir: resolve(env.GINKO_DATA_DIR ?? '.ginko'),
    databaseUrl: env.DATABASE_URL || undefined,
    browser: {
      host,
      port: browserPort,
      publicUrl: origin(env, 'GINKO_PUBLIC_URL', `https://localhost:${browserPort}`),
    },
    mtls: {
      host,
      port: mtlsPort,
      publicUrl: origin(env, 'GINKO_MTLS_PUBLIC_URL', `https://localhost:${mtlsPort}`),
    },
    serverHostnames: (env.GINKO_SERVER_HOSTNAMES ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    consentDays: integer(env, 'GINKO_CONSENT_DAYS', 90, 1, 365),
    accessTokenTtlSeconds: integer(env, 'GINKO_ACCESS_TOKEN_TTL_SECONDS', 600, 60, 3600),
    refreshTokenTtlSeconds: integer(env, 'GINKO_REFRESH_TOKEN_TTL_SECONDS', 90 * 24 * 3600, 3600, 365 * 24 * 3600),
    logLevel: oneOf(env, 'GINKO_LOG_LEVEL', LOG_LEVELS, 'info'),
    seedDemoData: env.GINKO_SEED_DEMO_DATA !== 'false',
    ...overrides,
  };
  if (config.browser.publicUrl === config.mtls.publicUrl) {
    throw new ConfigError('GINKO_PUBLIC_URL and GINKO_MTLS_PUBLIC_URL must differ: the mTLS endpoints need their own listener');
  }
  return config;
}

function port(env: Env, name: string, fallback: number): number {
  return integer(env, name, fallback, 0, 65535);
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name}=${raw} is not valid: use a whole number from ${min} to ${max} (default ${fallback})`);
  }
  return value;
}

function origin(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name}=${raw} is not a URL: use an https origin such as https://bank.example:8443`);
  }
  if (url.protocol !== 'https:' || url.pathname !== '/' || url.search || url.hash) {
    throw new ConfigError(`${name}=${raw} must be a bare https origin (no path, query or fragment), e.g. https://bank.example:8443`);
  }
  return url.origin;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name}=${raw} is not valid: use one of ${allowed.join(', ')}`);
  }
  return raw as T;
}
