// What each connected app did lately, for the customer to see: its newest calls to the bank APIs, from the
// audit log's `api.access` entries (one per call, written by the API plugin whatever the outcome). The customer's
// newest entries are read through the audit log's index by customer (migration 0007), a bounded number of them,
// so the page costs the same however long the log grows. Entries hold ids and codes only; the words are the page's.
import { sql } from 'kysely';
import type { Db } from '../store/db.ts';

export interface ApiAccess {
  at: Date;
  /** What the TPP did, as the page names it. */
  operation: ApiOperation;
  accountId: string | undefined;
  /** answered, refused (401/403: the bank said no), or failed (any other error). */
  result: 'answered' | 'refused' | 'failed';
}

export type ApiOperation = 'accounts' | 'balances' | 'transactions' | 'transferFee' | 'transferRequest' | 'transferResult' | 'transferStatus' | 'transferCancel' | 'other';

/** The routes' paths below the API prefix, by what they do. */
const OPERATIONS: Readonly<Record<string, ApiOperation>> = {
  '/accounts': 'accounts',
  '/accounts/balances': 'balances',
  '/accounts/transactions': 'transactions',
  '/transfer/transferfee': 'transferFee',
  '/transfer/request': 'transferRequest',
  '/transfer/request-result': 'transferResult',
  '/transfer/status': 'transferStatus',
  '/transfer/cancel': 'transferCancel',
};

/** Per connected app; a customer wants the last few, and the page stays short. */
export const RECENT_ACCESS_PER_APP = 5;
/** How far back "recent" reaches: the customer's newest calls by any app. An app quiet for longer shows none. */
const ENTRIES_READ_MAX = 500;

/** The newest calls under each of the customer's grants, newest first. */
export async function recentAccessByGrant(db: Db, customerId: string, grantIds: readonly string[]): Promise<Map<string, ApiAccess[]>> {
  const byGrant = new Map<string, ApiAccess[]>(grantIds.map((id) => [id, []]));
  if (grantIds.length === 0) return byGrant;
  const { rows } = await sql<{ body: string }>`
    SELECT body FROM audit_log
     WHERE (body::jsonb) ->> 'customerId' = ${customerId} AND (body::jsonb) ->> 'action' = 'api.access'
     ORDER BY seq DESC
     LIMIT ${ENTRIES_READ_MAX}`.execute(db);
  for (const row of rows) {
    const entry = JSON.parse(row.body) as { at: string; grantId?: string; route?: string; accountId?: string; status?: number };
    const list = entry.grantId === undefined ? undefined : byGrant.get(entry.grantId);
    if (!list || list.length >= RECENT_ACCESS_PER_APP) continue;
    list.push({ at: new Date(entry.at), operation: operationOf(entry.route ?? ''), accountId: entry.accountId, result: resultOf(entry.status ?? 0) });
  }
  return byGrant;
}

/** `route` is the route pattern with the API prefix, e.g. /api/v1/accounts/balances. */
function operationOf(route: string): ApiOperation {
  return OPERATIONS[route.replace(/^\/api\/v\d+/, '')] ?? 'other';
}

function resultOf(status: number): ApiAccess['result'] {
  if (status >= 200 && status < 400) return 'answered';
  return status === 401 || status === 403 ? 'refused' : 'failed';
}
