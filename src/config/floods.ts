// Flood control settings: request quotas per TPP and per source address, where the counts live
// (Redis, shared by every node, or each node's memory), and the listeners' own limits (sizes,
// timeouts, connections). The defaults are here, in one place, and in README.md (Floods and quotas).
import { ConfigError } from './config.ts';
import { wholeNumberSetting as whole } from './whole-number.ts';

type Env = Record<string, string | undefined>;

/**
 * What a quota counts: PAR; the other TPP back-channel endpoints (token, revocation, introspection,
 * userinfo, registration, backchannel authentication); the bank APIs; and, per address only, the pages a
 * customer's browser uses.
 */
export const QUOTA_ENDPOINTS = ['par', 'token', 'api', 'browser'] as const;
export type QuotaEndpoint = (typeof QUOTA_ENDPOINTS)[number];
/** The endpoints a TPP authenticates at, so the ones with a per-TPP quota. */
export const TPP_QUOTA_ENDPOINTS = ['par', 'token', 'api'] as const;
export type TppQuotaEndpoint = (typeof TPP_QUOTA_ENDPOINTS)[number];

/** Requests per window; 0 means no quota. */
export type QuotaTable<Endpoint extends string> = Readonly<Record<Endpoint, number>>;

export interface QuotaPolicy {
  windowSeconds: number;
  perTpp: QuotaTable<TppQuotaEndpoint>;
  /** Above any one TPP's, so that a TPP's own quota is what stops it; a backstop for unidentified clients. */
  perAddress: QuotaTable<QuotaEndpoint>;
  /** Per-TPP quotas replacing `perTpp` for the TPPs named (by client_id). */
  tpps: Readonly<Record<string, Partial<QuotaTable<TppQuotaEndpoint>>>>;
}

/** The sandbox's and a small bank's quotas: per minute, a TPP may make 5 PARs, 10 token calls and 100 API calls a second. */
export const DEFAULT_QUOTAS: QuotaPolicy = {
  windowSeconds: 60,
  perTpp: { par: 300, token: 600, api: 6000 },
  perAddress: { par: 600, token: 1200, api: 12_000, browser: 600 },
  tpps: {},
};

export interface RedisSettings {
  url: string;
  /** Prepended to every key, so several banks (or test runs) can share one Redis. */
  keyPrefix: string;
}

/** Limits each listener enforces on every connection and request (HTTP level, before any route). */
export interface ListenerLimits {
  bodyBytes: number;
  /** The request line and headers together (node's maxHeaderSize); beyond it, 431. */
  headerBytes: number;
  /** The whole request must arrive within this. */
  requestTimeoutSeconds: number;
  /** The headers must arrive within this (slow-header floods). */
  headersTimeoutSeconds: number;
  /** An idle kept-alive connection closes after this. */
  keepAliveTimeoutSeconds: number;
  /** Open connections per listener; further ones are closed at once. */
  maxConnections: number;
}

export const DEFAULT_LISTENER_LIMITS: ListenerLimits = {
  bodyBytes: 64 * 1024,
  headerBytes: 16 * 1024,
  requestTimeoutSeconds: 30,
  headersTimeoutSeconds: 10,
  keepAliveTimeoutSeconds: 5,
  maxConnections: 2000,
};

/** The most any one quota may be set to: a billion requests a window is no quota at all. */
const QUOTA_MAX = 1_000_000_000;
/** A TPP override map bigger than this is not a configuration. */
const OVERRIDE_TPPS_MAX = 10_000;

const settingOf = (endpoint: string, per: 'TPP' | 'ADDRESS') => `GINKO_QUOTA_${endpoint.toUpperCase()}_PER_${per}`;

export function quotasFrom(env: Env): QuotaPolicy {
  const table = <Endpoint extends string>(endpoints: readonly Endpoint[], per: 'TPP' | 'ADDRESS', defaults: QuotaTable<Endpoint>) =>
    Object.fromEntries(endpoints.map((endpoint) => [endpoint, whole(env, settingOf(endpoint, per), defaults[endpoint], 0, QUOTA_MAX)])) as QuotaTable<Endpoint>;
  return {
    windowSeconds: whole(env, 'GINKO_QUOTA_WINDOW_SECONDS', DEFAULT_QUOTAS.windowSeconds, 1, 3600),
    perTpp: table(TPP_QUOTA_ENDPOINTS, 'TPP', DEFAULT_QUOTAS.perTpp),
    perAddress: table(QUOTA_ENDPOINTS, 'ADDRESS', DEFAULT_QUOTAS.perAddress),
    tpps: tppOverrides(env.GINKO_QUOTA_TPPS),
  };
}

/** GINKO_QUOTA_TPPS: `{"<client_id>": {"api": 20000, "par": 100}}`, each value a whole number (0: no quota). */
function tppOverrides(raw: string | undefined): QuotaPolicy['tpps'] {
  if (raw === undefined || raw === '') return DEFAULT_QUOTAS.tpps;
  const example = '{"tpp-abc": {"api": 20000, "par": 100}}';
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(`GINKO_QUOTA_TPPS is not valid JSON: write an object keyed by client_id, e.g. ${example}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.keys(parsed).length > OVERRIDE_TPPS_MAX) {
    throw new ConfigError(`GINKO_QUOTA_TPPS must be one object (at most ${OVERRIDE_TPPS_MAX} TPPs) keyed by client_id, e.g. ${example}`);
  }
  const tpps: Record<string, Partial<Record<TppQuotaEndpoint, number>>> = {};
  for (const [clientId, quotas] of Object.entries(parsed)) {
    if (typeof quotas !== 'object' || quotas === null || Array.isArray(quotas)) throw new ConfigError(`GINKO_QUOTA_TPPS: ${clientId} must map to an object, e.g. ${example}`);
    tpps[clientId] = {};
    for (const [endpoint, value] of Object.entries(quotas)) {
      if (!(TPP_QUOTA_ENDPOINTS as readonly string[]).includes(endpoint)) {
        throw new ConfigError(`GINKO_QUOTA_TPPS: ${clientId} has unknown endpoint '${endpoint}': use ${TPP_QUOTA_ENDPOINTS.join(', ')}`);
      }
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > QUOTA_MAX) {
        throw new ConfigError(`GINKO_QUOTA_TPPS: ${clientId}.${endpoint}=${JSON.stringify(value)} is not valid: use a whole number from 0 to ${QUOTA_MAX}`);
      }
      tpps[clientId][endpoint as TppQuotaEndpoint] = value;
    }
  }
  return tpps;
}

export function redisFrom(env: Env): RedisSettings | undefined {
  const url = env.GINKO_REDIS_URL;
  if (url === undefined || url === '') return undefined;
  if (!/^rediss?:\/\//.test(url)) throw new ConfigError(`GINKO_REDIS_URL=${url} is not valid: use redis://host:6379 (or rediss:// for TLS)`);
  return { url, keyPrefix: env.GINKO_REDIS_KEY_PREFIX || 'ginko:' };
}

export function listenerLimitsFrom(env: Env): ListenerLimits {
  const d = DEFAULT_LISTENER_LIMITS;
  const limits: ListenerLimits = {
    bodyBytes: whole(env, 'GINKO_HTTP_BODY_BYTES', d.bodyBytes, 1024, 16 * 1024 * 1024),
    headerBytes: whole(env, 'GINKO_HTTP_HEADER_BYTES', d.headerBytes, 4096, 1024 * 1024),
    requestTimeoutSeconds: whole(env, 'GINKO_HTTP_REQUEST_TIMEOUT_SECONDS', d.requestTimeoutSeconds, 1, 600),
    headersTimeoutSeconds: whole(env, 'GINKO_HTTP_HEADERS_TIMEOUT_SECONDS', d.headersTimeoutSeconds, 1, 600),
    keepAliveTimeoutSeconds: whole(env, 'GINKO_HTTP_KEEP_ALIVE_TIMEOUT_SECONDS', d.keepAliveTimeoutSeconds, 1, 600),
    maxConnections: whole(env, 'GINKO_HTTP_MAX_CONNECTIONS', d.maxConnections, 1, 1_000_000),
  };
  // node refuses a headers timeout above the request timeout.
  if (limits.headersTimeoutSeconds > limits.requestTimeoutSeconds) {
    throw new ConfigError(`GINKO_HTTP_HEADERS_TIMEOUT_SECONDS=${limits.headersTimeoutSeconds} must not exceed GINKO_HTTP_REQUEST_TIMEOUT_SECONDS=${limits.requestTimeoutSeconds}`);
  }
  return limits;
}
