// A LISTEN that stays up: it reconnects with back-off when PostgreSQL drops its connection, and pings it
// so that a connection that died silently (a network partition sends no error) is noticed too. Whoever
// relies on the notices is told when they may have been missed (`down`) and when they flow again (`up`).
import type { Logger } from 'pino';
import type { NoticeListener, Store } from './db.ts';

export interface NoticeHandlers {
  notice(payload: string): void;
  /** Notices may be missed from now until `up`. Called once per outage. */
  down(): void;
  /** LISTEN is in place again; anything between `down` and now was missed. */
  up(): void;
}

export interface NoticeTiming {
  /** How often the LISTEN connection is asked to answer. */
  pingIntervalMs: number;
  /** An answer slower than this counts as a dead connection. */
  pingTimeoutMs: number;
  /** First and longest wait before listening again. */
  retryMinMs: number;
  retryMaxMs: number;
}

/** A silently dead connection is noticed within interval + timeout: 3 s. */
export const DEFAULT_NOTICE_TIMING: NoticeTiming = { pingIntervalMs: 1_000, pingTimeoutMs: 2_000, retryMinMs: 100, retryMaxMs: 5_000 };

export interface Notices {
  readonly listening: boolean;
  close(): Promise<void>;
}

/** Starts listening on `channel`; resolves once the first attempt has ended, in `up` or in `down`. */
export async function keepListening(store: Store, channel: string, handlers: NoticeHandlers, logger: Logger, timing: NoticeTiming = DEFAULT_NOTICE_TIMING): Promise<Notices> {
  let listener: NoticeListener | undefined;
  let closed = false;
  let retryMs = timing.retryMinMs;
  let retryTimer: NodeJS.Timeout | undefined;
  let pingTimer: NodeJS.Timeout | undefined;

  const lost = (error: Error) => {
    if (closed || !listener) return;
    logger.warn({ err: error, channel }, 'the LISTEN connection was lost; the cache behind it is off until it is back');
    listener = undefined;
    clearInterval(pingTimer);
    handlers.down();
    scheduleRetry();
  };
  const scheduleRetry = () => {
    if (closed) return;
    retryTimer = setTimeout(() => void attempt(), retryMs);
    retryMs = Math.min(retryMs * 2, timing.retryMaxMs);
  };
  const attempt = async () => {
    try {
      const opened = await store.listen(channel, handlers.notice, (error) => lost(error));
      if (closed) return await opened.close();
      listener = opened;
      retryMs = timing.retryMinMs;
      pingTimer = setInterval(() => void ping(opened), timing.pingIntervalMs).unref();
      handlers.up();
    } catch (error) {
      logger.warn({ err: error, channel }, 'could not LISTEN; retrying');
      scheduleRetry();
    }
  };
  const ping = async (pinged: NoticeListener) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the LISTEN connection did not answer within ${timing.pingTimeoutMs} ms`)), timing.pingTimeoutMs)));
    try {
      await Promise.race([pinged.ping(), timeout]);
    } catch (error) {
      if (listener !== pinged) return;
      lost(error as Error);
      await pinged.close().catch(() => {});
    } finally {
      clearTimeout(timer);
    }
  };

  handlers.down();
  await attempt();
  return {
    get listening() {
      return listener !== undefined;
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      clearInterval(pingTimer);
      await listener?.close();
      listener = undefined;
    },
  };
}
