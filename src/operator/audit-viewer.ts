// The audit log as operators read it: newest first, filtered by TPP, customer, kind (action) and time, a page at a
// time (`beforeSeq` continues where the last page ended); and the chain's verification (security/audit-verify.ts).
import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../store/db.ts';

export const AUDIT_PAGE_MAX = 200;
export const AUDIT_PAGE_DEFAULT = 50;

export interface AuditQuery {
  clientId?: string | undefined;
  customerId?: string | undefined;
  /** An action (`api.access`) or a prefix ending in a dot (`operator.`). */
  action?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  beforeSeq?: number | undefined;
  limit: number;
}

export interface AuditEntry {
  seq: number;
  at: string;
  action: string;
  /** The entry's other facts (ids, codes, results). */
  facts: Record<string, unknown>;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `beforeSeq` for the next (older) page; absent on the last. */
  nextBeforeSeq: number | undefined;
}

export async function readAuditLog(db: Db, query: AuditQuery): Promise<AuditPage> {
  const limit = Math.min(Math.max(1, Math.trunc(query.limit)), AUDIT_PAGE_MAX);
  // The same expressions the migration indexes (0007), so a filter by TPP, customer or action is an index scan.
  const conditions: RawBuilder<unknown>[] = [];
  if (query.clientId !== undefined) conditions.push(sql`(body::jsonb ->> 'clientId') = ${query.clientId}`);
  if (query.customerId !== undefined) conditions.push(sql`(body::jsonb ->> 'customerId') = ${query.customerId}`);
  if (query.action?.endsWith('.')) conditions.push(sql`starts_with(body::jsonb ->> 'action', ${query.action})`);
  else if (query.action !== undefined) conditions.push(sql`(body::jsonb ->> 'action') = ${query.action}`);
  if (query.from !== undefined) conditions.push(sql`(body::jsonb ->> 'at')::timestamptz >= ${query.from}`);
  if (query.to !== undefined) conditions.push(sql`(body::jsonb ->> 'at')::timestamptz < ${query.to}`);
  if (query.beforeSeq !== undefined) conditions.push(sql`seq < ${query.beforeSeq}`);
  const where = conditions.length > 0 ? sql`WHERE ${sql.join(conditions, sql` AND `)}` : sql``;
  // One more than asked: whether there is a next page.
  const { rows } = await sql<{ seq: number; body: string }>`SELECT seq, body FROM audit_log ${where} ORDER BY seq DESC LIMIT ${limit + 1}`.execute(db);
  const entries = rows.slice(0, limit).map(({ seq, body }) => {
    const { seq: _seq, at, action, ...facts } = JSON.parse(body) as Record<string, unknown>;
    return { seq: Number(seq), at: String(at), action: String(action), facts };
  });
  return { entries, nextBeforeSeq: rows.length > limit ? entries.at(-1)?.seq : undefined };
}
