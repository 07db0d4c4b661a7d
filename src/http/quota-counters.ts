// The counts behind the quotas: fixed windows that start with a key's first request and last the
// configured window. In Redis (GINKO_REDIS_URL) every node counts into the same keys, so a TPP's
// quota is the bank's, not each node's; otherwise each node counts in its own memory.
//
// Redis unreachable: the node falls back to its own memory, with a log line (at most one a minute)
// and a metric. Neither open nor closed: a bank must keep serving TPPs when a counter store fails
// (refusing everyone would turn a Redis outage into a bank outage), but a flood must still meet a
// limit, so each node holds every quota on its own until Redis answers again: at worst a TPP gets
// its quota once per node for that while.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisSettings } from '../config/floods.ts';

export interface WindowCount {
  /** Requests counted in the current window, this one included. */
  count: number;
  /** Milliseconds until the window ends and the count starts again. */
  resetsInMs: number;
}

export interface QuotaCounters {
  /** Counts one request against each key, all in one step; answers in the keys' order. */
  hit(keys: readonly string[], windowMs: number): Promise<WindowCount[]>;
  /** Resolves once the store answers, or after a bounded wait; never rejects (the node starts either way). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** Keys one node remembers at most; past it the oldest window is dropped (it is the next to end anyway). */
const MEMORY_KEYS_MAX = 100_000;

export class MemoryCounters implements QuotaCounters {
  /** In insertion order, which is the order windows end (they all have one length). */
  private readonly windows = new Map<string, { count: number; endsAtMs: number }>();

  constructor(private readonly clock: () => number = Date.now) {}

  async hit(keys: readonly string[], windowMs: number): Promise<WindowCount[]> {
    return this.hitNow(keys, windowMs);
  }

  hitNow(keys: readonly string[], windowMs: number): WindowCount[] {
    const now = this.clock();
    this.forgetEnded(now);
    return keys.map((key) => {
      let window = this.windows.get(key);
      if (window === undefined || window.endsAtMs <= now) {
        this.windows.delete(key);
        if (this.windows.size >= MEMORY_KEYS_MAX) this.windows.delete(this.windows.keys().next().value!);
        window = { count: 0, endsAtMs: now + windowMs };
        this.windows.set(key, window);
      }
      window.count += 1;
      return { count: window.count, resetsInMs: window.endsAtMs - now };
    });
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {
    this.windows.clear();
  }

  private forgetEnded(now: number): void {
    for (const [key, window] of this.windows) {
      if (window.endsAtMs > now) return;
      this.windows.delete(key);
    }
  }
}

/**
 * INCR each key; a key without an expiry (just created) gets the window as its expiry. Returns the
 * count and remaining milliseconds of each key, flat. One script, so two nodes never both start a window.
 */
const HIT_SCRIPT = `
local answer = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    redis.call('PEXPIRE', key, ARGV[1])
    ttl = tonumber(ARGV[1])
  end
  answer[2 * i - 1] = count
  answer[2 * i] = ttl
end
return answer`;

/** How long a starting node waits for Redis before it starts counting alone. */
const CONNECT_TIMEOUT_MS = 2_000;
/** A counter store that does not answer within this is treated as down for that request. */
const REDIS_COMMAND_TIMEOUT_MS = 250;
/** At most one "Redis is unreachable" line per this. */
const OUTAGE_LOG_INTERVAL_MS = 60_000;

type RedisWithHit = Redis & { ginkoQuotaHit(keyCount: number, ...keysThenWindow: (string | number)[]): Promise<number[]> };

export class RedisCounters implements QuotaCounters {
  private readonly redis: RedisWithHit;
  private readonly fallback = new MemoryCounters();
  private lastOutageLogMs = 0;

  constructor(
    settings: RedisSettings,
    private readonly logger: Logger,
    /** Counts each request the fallback had to count. */
    private readonly onFallback: () => void,
  ) {
    this.redis = new Redis(settings.url, {
      keyPrefix: settings.keyPrefix,
      // Fail at once while disconnected rather than queue: the fallback answers instead.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // Keep trying, at most every 2 s.
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    }) as RedisWithHit;
    this.redis.defineCommand('ginkoQuotaHit', { lua: HIT_SCRIPT });
    this.redis.on('error', (error) => this.noteOutage(error));
  }

  async hit(keys: readonly string[], windowMs: number): Promise<WindowCount[]> {
    try {
      const flat = await this.redis.ginkoQuotaHit(keys.length, ...keys, windowMs);
      return keys.map((_key, i) => ({ count: Number(flat[2 * i]), resetsInMs: Number(flat[2 * i + 1]) }));
    } catch (error) {
      this.noteOutage(error);
      this.onFallback();
      return this.fallback.hitNow(keys, windowMs);
    }
  }

  ready(): Promise<void> {
    if (this.redis.status === 'ready') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, CONNECT_TIMEOUT_MS);
      this.redis.once('ready', done);
    });
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    await this.fallback.close();
  }

  private noteOutage(error: unknown): void {
    const now = Date.now();
    if (now - this.lastOutageLogMs < OUTAGE_LOG_INTERVAL_MS) return;
    this.lastOutageLogMs = now;
    this.logger.error({ err: error }, 'Redis (GINKO_REDIS_URL) is unreachable: quotas are counted per node until it answers again');
  }
}

/** Redis when the bank has one, else this node's memory. */
export function quotaCounters(redis: RedisSettings | undefined, logger: Logger, onFallback: () => void): QuotaCounters {
  return redis ? new RedisCounters(redis, logger, onFallback) : new MemoryCounters();
}
