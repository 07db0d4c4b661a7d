// Graceful shutdown of a node. In order: /readyz turns 503 so balancers stop sending new work; after
// the drain delay the listeners stop accepting connections, requests already in flight finish
// (a request arriving on a kept-alive connection meanwhile gets 503 and `Connection: close`), and
// idle connections close; only then does the store close, so no request loses its database midway.
// A request still running at the timeout has its connection cut: shutdown itself is bounded too.
import type { FastifyInstance } from 'fastify';

export interface ShutdownLimits {
  drainSeconds: number;
  timeoutSeconds: number;
}

export class Lifecycle {
  #shutdown: Promise<void> | undefined;

  get closing(): boolean {
    return this.#shutdown !== undefined;
  }

  /** Shuts down `listeners`, then runs `afterListeners` (the store, the lock); a second call waits for the first. */
  shutdown(listeners: FastifyInstance[], limits: ShutdownLimits, afterListeners: () => Promise<void>): Promise<void> {
    this.#shutdown ??= this.#run(listeners, limits, afterListeners);
    return this.#shutdown;
  }

  async #run(listeners: FastifyInstance[], limits: ShutdownLimits, afterListeners: () => Promise<void>): Promise<void> {
    if (limits.drainSeconds > 0) await sleep(limits.drainSeconds * 1000);
    const cut = setTimeout(() => {
      for (const listener of listeners) listener.server.closeAllConnections();
    }, limits.timeoutSeconds * 1000);
    try {
      await Promise.all(listeners.map((listener) => listener.close()));
    } finally {
      clearTimeout(cut);
    }
    await afterListeners();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
