// x-idempotency-key on update calls (UK Open Banking semantics, per TPP, 24 hours): the first request
// with a key runs, and its response is stored in the same transaction as the operation, so a response
// exists exactly when the operation happened. The same key and body again → the stored response with
// `x-idempotent-replay: true`; the same key with another body (or path) → 409, touching nothing. A
// concurrent duplicate waits on the key's row and then replays.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../store/db.ts';
import { ApiError } from './errors.ts';

/** UK OB: 1–40 characters; unique per TPP for 24 hours. */
const KEY_PATTERN = /^[A-Za-z0-9._-]{1,40}$/;
const KEY_LIFETIME_MS = 24 * 3600 * 1000;

export const idempotencyKeyMissing = () => new ApiError(400, 'E40002', 'x-idempotency-key ヘッダーが必要です。');
const idempotencyKeyInvalid = () =>
  new ApiError(400, 'E40001', '入力値が正しくありません。', [{ errorDetailsCode: 'E40001', errorDetailsMessage: 'x-idempotency-key must be 1–40 of A-Z a-z 0-9 . _ -', path: '/headers/x-idempotency-key' }]);
export const idempotencyKeyReused = () => new ApiError(409, 'E40901', '同じ x-idempotency-key が別の内容のリクエストに使われています。');

export interface StoredResponse<T> {
  statusCode: number;
  body: T;
}

/** JSON with object keys sorted, so that key order never makes two equal bodies differ. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function idempotencyKeyOf(request: FastifyRequest): string {
  const key = request.headers['x-idempotency-key'];
  if (key === undefined || key === '') throw idempotencyKeyMissing();
  if (typeof key !== 'string' || !KEY_PATTERN.test(key)) throw idempotencyKeyInvalid();
  return key;
}

/**
 * Runs `operation` once per (TPP, key) and sends its response, or replays the stored one. `operation`
 * gets the transaction the key is recorded in and must do all its writes in it.
 */
export async function idempotentResponse<T>(
  db: Db,
  request: FastifyRequest,
  reply: FastifyReply,
  clientId: string,
  now: Date,
  operation: (trx: Db) => Promise<StoredResponse<T>>,
): Promise<T> {
  const key = idempotencyKeyOf(request);
  const requestHash = createHash('sha256').update(`${request.routeOptions.url ?? ''}\n${canonicalJson(request.body)}`).digest('base64url');
  const outcome = await db.transaction().execute(async (trx) => {
    // Claims the key (or an expired one); a concurrent holder of the key makes this wait for its commit.
    const claimed = await trx
      .insertInto('idempotency_keys')
      .values({ client_id: clientId, idempotency_key: key, request_hash: requestHash, status_code: 0, response: 'null', expires_at: new Date(now.getTime() + KEY_LIFETIME_MS) })
      .onConflict((oc) =>
        oc
          .columns(['client_id', 'idempotency_key'])
          .doUpdateSet({ request_hash: requestHash, status_code: 0, response: 'null', expires_at: new Date(now.getTime() + KEY_LIFETIME_MS) })
          .where('idempotency_keys.expires_at', '<=', now),
      )
      .returning('client_id')
      .executeTakeFirst();
    if (!claimed) {
      const stored = await trx.selectFrom('idempotency_keys').select(['request_hash', 'status_code', 'response']).where('client_id', '=', clientId).where('idempotency_key', '=', key).executeTakeFirstOrThrow();
      if (stored.request_hash !== requestHash) throw idempotencyKeyReused();
      // The stored body is the one this operation produced for this key.
      return { replay: true, statusCode: stored.status_code, body: stored.response as T };
    }
    const response = await operation(trx);
    await trx
      .updateTable('idempotency_keys')
      .set({ status_code: response.statusCode, response: JSON.stringify(response.body) })
      .where('client_id', '=', clientId)
      .where('idempotency_key', '=', key)
      .execute();
    return { replay: false, ...response };
  });
  if (outcome.replay) reply.header('x-idempotent-replay', 'true');
  reply.code(outcome.statusCode);
  return outcome.body;
}

