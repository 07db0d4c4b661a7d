// The access cache's documented bound (src/api/access-cache.ts): a node enforces a revocation once the
// store's notice of it has arrived. Tests of several nodes wait for that notice before their next call.
import type { TestBank } from './bank.ts';

/** How long a notice may take to reach a node when the test, the nodes and PostgreSQL share two busy cores. */
const NOTICE_WAIT_MS = 2_000;

export async function metric(node: TestBank, name: string): Promise<number> {
  return (await node.metrics.registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;
}

/** Notices the node's access cache has received so far: read before the change, pass to noticeArrival. */
export const notices = (node: TestBank) => metric(node, 'ginko_access_cache_notices');

/**
 * PostgreSQL sends the notice at commit, but a request can overtake it on a loaded machine; wait for it (or,
 * if the node is not listening, for nothing: its cache is off then).
 */
export async function noticeArrival(node: TestBank, seen: number): Promise<void> {
  const deadline = Date.now() + NOTICE_WAIT_MS;
  while ((await notices(node)) === seen && (await metric(node, 'ginko_access_notices_listening')) === 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}
