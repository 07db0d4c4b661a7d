// Configuration: sandbox defaults, overridden by a JSON file (GINKO_CONFIG_FILE), overridden by
// environment variables; validated once at start with messages that say what is wrong and how to
// fix it. Every limit the platform enforces lives here.
import type { BlockList } from 'node:net';
import { parseTrustedProxies } from '../http/trusted-proxies.ts';
import { resolve } from 'node:path';
import type { TransferPolicy } from '../bank/transfers/policy.ts';
import { DEFAULT_LOGIN_THROTTLE, type LoginThrottlePolicy } from '../security/login-throttle.ts';
import { transferPolicyFrom } from './transfer-policy.ts';
import { trustedDirectoriesFrom, type TrustedDirectory } from './trusted-directories.ts';
import { readSettingsFile } from './file.ts';
import { listenerLimitsFrom, quotasFrom, redisFrom, type ListenerLimits, type QuotaPolicy, type RedisSettings } from './floods.ts';

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
  /** The demo TPP app (src/demo-tpp) `ginko start` runs beside the sandbox, at https://localhost:port; off when undefined. */
  demoTpp: { port: number; publicUrl: string } | undefined;
  /** Lines per page of 入出金明細照会 (GMO's is 500); a smaller page makes TPPs' paging visible in the sandbox. */
  transactionPageSize: number;
  /** Transfer rules: cut-off, daily limit, approval window, fees, simulated clearing (GINKO_TRANSFER_*). */
  transferPolicy: TransferPolicy;
  /** Back-off and lock after failed logins per login ID (GINKO_LOGIN_*; security/login-throttle.ts). */
  loginThrottle: LoginThrottlePolicy;
  /** The customer's login sessions, at a linking and on /my: they end when unused, and at the latest this long after login. */
  customerSessions: { idleSeconds: number; maxSeconds: number };
  /** Dynamic client registration: the directories whose software statements are trusted, and where a new TPP lands. */
  /** Sandbox only: the bank's outgoing requests (CIBA pings) may reach local addresses and trust the sandbox CA. */
  sandboxOutbound: boolean;
  registration: {
    trustedDirectories: TrustedDirectory[];
    /** `suspended` (the default): an operator reinstates it before it can link; `active`: usable at once. */
    newTppStatus: 'active' | 'suspended';
  };
  /** Whether start applies pending migrations; when not, it refuses to run on an outdated schema. */
  migrateOnStart: boolean;
  /**
   * The authorization server's keys (signing keys, cookie secrets) as one JSON file every node
   * loads, e.g. a mounted secret; when unset they are made in `dataDir` on first start.
   */
  keysFile: string | undefined;
  /** How often a node looks for a changed key set (a rotation); a rotation's publish lead must be longer. */
  keysReloadSeconds: number;
  /** How long `ginko keys rotate` publishes a new signing key before it signs: longer than TPPs cache the JWKS. */
  keyPublishLeadSeconds: number;
  /** The plain-HTTP operations listener (/metrics, /healthz, /readyz); off when undefined. */
  metrics: { host: string; port: number } | undefined;
  /** Front proxies whose RFC 9440 Client-Cert header is believed (GINKO_TRUSTED_PROXIES); empty: none. */
  trustedProxies: BlockList;
  /** Request quotas per TPP and per source address (GINKO_QUOTA_*; config/floods.ts). */
  quotas: QuotaPolicy;
  /** Where quota counts are shared by every node (GINKO_REDIS_URL); each node counts alone when unset. */
  redis: RedisSettings | undefined;
  /** Body and header sizes, timeouts and the connection cap of both listeners (GINKO_HTTP_*). */
  listenerLimits: ListenerLimits;
  shutdown: {
    /** How long /readyz answers 503 before the listeners stop accepting, so a balancer drains the node. */
    drainSeconds: number;
    /** How long in-flight requests may take to finish after that; then their connections are cut. */
    timeoutSeconds: number;
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Settings from the environment over settings from GINKO_CONFIG_FILE (a JSON object with the same
 * names as keys). A name in the file that no setting reads is an error, so a misspelt key cannot
 * silently leave its default in force.
 */
export function loadConfig(processEnv: Env = process.env, overrides: Partial<GinkoConfig> = {}): GinkoConfig {
  const file = processEnv.GINKO_CONFIG_FILE ? readSettingsFile(processEnv.GINKO_CONFIG_FILE) : {};
  const read = new Set<string>();
  const env: Env = new Proxy({ ...file, ...processEnv }, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return Reflect.get(target, name);
    },
  });
  const config = configFrom(env, overrides);
  const unknown = Object.keys(file).filter((name) => !read.has(name));
  if (unknown.length > 0) {
    throw new ConfigError(`${processEnv.GINKO_CONFIG_FILE}: unknown setting${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => suggestionFor(name, [...read])).join(', ')}; the settings are listed in README.md (Configuration)`);
  }
  return config;
}

function configFrom(env: Env, overrides: Partial<GinkoConfig>): GinkoConfig {
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
    seedDemoData: boolean(env, 'GINKO_SEED_DEMO_DATA', true),
    demoTpp: demoTppApp(env),
    transactionPageSize: integer(env, 'GINKO_TRANSACTION_PAGE_SIZE', 500, 1, 500),
    migrateOnStart: boolean(env, 'GINKO_MIGRATE_ON_START', true),
    keysFile: env.GINKO_KEYS_FILE ? resolve(env.GINKO_KEYS_FILE) : undefined,
    keysReloadSeconds: integer(env, 'GINKO_KEYS_RELOAD_SECONDS', 60, 1, 3600),
    keyPublishLeadSeconds: integer(env, 'GINKO_KEY_PUBLISH_LEAD_SECONDS', 24 * 3600, 1, 30 * 24 * 3600),
    metrics: metricsListener(env),
    trustedProxies: trustedProxies(env),
    shutdown: {
      drainSeconds: integer(env, 'GINKO_SHUTDOWN_DRAIN_SECONDS', 0, 0, 120),
      timeoutSeconds: integer(env, 'GINKO_SHUTDOWN_TIMEOUT_SECONDS', 30, 1, 600),
    },
    transferPolicy: transferPolicyFrom(env),
    loginThrottle: {
      backoffAfterFailures: integer(env, 'GINKO_LOGIN_BACKOFF_AFTER_FAILURES', DEFAULT_LOGIN_THROTTLE.backoffAfterFailures, 1, 100),
      backoffSeconds: integer(env, 'GINKO_LOGIN_BACKOFF_SECONDS', DEFAULT_LOGIN_THROTTLE.backoffSeconds, 0, 3600),
      lockAfterFailures: integer(env, 'GINKO_LOGIN_LOCK_AFTER_FAILURES', DEFAULT_LOGIN_THROTTLE.lockAfterFailures, 1, 1000),
      lockSeconds: integer(env, 'GINKO_LOGIN_LOCK_SECONDS', DEFAULT_LOGIN_THROTTLE.lockSeconds, 1, 7 * 24 * 3600),
    },
    customerSessions: {
      idleSeconds: integer(env, 'GINKO_SESSION_IDLE_SECONDS', 600, 30, 24 * 3600),
      maxSeconds: integer(env, 'GINKO_SESSION_MAX_SECONDS', 3600, 60, 7 * 24 * 3600),
    },
    quotas: quotasFrom(env),
    redis: redisFrom(env),
    listenerLimits: listenerLimitsFrom(env),
    sandboxOutbound: boolean(env, 'GINKO_SANDBOX_OUTBOUND', false),
    registration: {
      trustedDirectories: trustedDirectoriesFrom(env.GINKO_TRUSTED_DIRECTORIES_FILE),
      newTppStatus: oneOf(env, 'GINKO_REGISTRATION_STATUS', ['suspended', 'active'] as const, 'suspended'),
    },
    ...overrides,
  };
  if (config.browser.publicUrl === config.mtls.publicUrl) {
    throw new ConfigError('GINKO_PUBLIC_URL and GINKO_MTLS_PUBLIC_URL must differ: the mTLS endpoints need their own listener');
  }
  return config;
}

/** Off unless a port is given; on the loopback interface unless the operator names another. */
function metricsListener(env: Env): GinkoConfig['metrics'] {
  const host = env.GINKO_METRICS_HOST || '127.0.0.1';
  const metricsPort = env.GINKO_METRICS_PORT ? port(env, 'GINKO_METRICS_PORT', 0) : undefined;
  return metricsPort === undefined ? undefined : { host, port: metricsPort };
}

/** On with the demo data unless GINKO_DEMO_TPP=false: a bank without demo customers has no use for it. */
function demoTppApp(env: Env): GinkoConfig['demoTpp'] {
  if (!boolean(env, 'GINKO_DEMO_TPP', boolean(env, 'GINKO_SEED_DEMO_DATA', true))) return undefined;
  const demoPort = port(env, 'GINKO_DEMO_TPP_PORT', 3000);
  return { port: demoPort, publicUrl: `https://localhost:${demoPort}` };
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

function trustedProxies(env: Env): BlockList {
  const parsed = parseTrustedProxies(env.GINKO_TRUSTED_PROXIES ?? '');
  if (typeof parsed === 'string') throw new ConfigError(`GINKO_TRUSTED_PROXIES: ${parsed}`);
  return parsed;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw !== 'true' && raw !== 'false') throw new ConfigError(`${name}=${raw} is not valid: use true or false (default ${fallback})`);
  return raw === 'true';
}

/** `GINKO_PROT` becomes `GINKO_PROT (did you mean GINKO_PORT?)` when a known name is one or two edits away. */
function suggestionFor(name: string, known: string[]): string {
  const close = known.find((candidate) => editDistance(name.toUpperCase(), candidate) <= 2);
  return close ? `${name} (did you mean ${close}?)` : name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name}=${raw} is not valid: use one of ${allowed.join(', ')}`);
  }
  return raw as T;
}
