// The tamper-evident audit log: append-only and hash-chained. Each entry's hash is
// SHA-256(previous entry's hash + its own JSON body), and the body carries its own sequence number, so
// an edited, deleted or reordered entry breaks the chain (security/audit-verify.ts). Appends go
// through the database function `audit_append` (migration 0003), which locks the single chain-head
// row: entries written by several nodes, and by the transfer and consent triggers, form one line.
// Entries hold ids and codes, never names, passwords or tokens.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../store/db.ts';

/** What the application appends; transfers (`transfer.<state>`) and consents (`consent.given`, `consent.revoked`) are appended by triggers. */
export type AuditAction = 'login.succeeded' | 'login.failed' | 'passkey.added' | 'passkey.removed' | 'consent.refused' | 'grant.revoked' | 'token.issued' | 'api.access' | 'security.event' | OperatorAuditAction | RegistrationAuditAction;

/** What operators do (operator/); each entry names the operator (`operatorId`) and the way in (`via`). */
export type OperatorAuditAction =
  | 'operator.login.succeeded'
  | 'operator.login.failed'
  | 'operator.tpp.onboarded'
  | 'operator.tpp.credentials_rotated'
  | 'operator.tpp.suspended'
  | 'operator.tpp.reinstated'
  | 'operator.grant.revoked'
  | 'operator.tpp.grants_revoked';

/** What a TPP does to its own registration (RFC 7591/7592, tpp/registration.ts); each entry names the TPP (`clientId`). */
export type RegistrationAuditAction = 'tpp.registered' | 'tpp.registration_updated' | 'tpp.deregistered';

/** What an entry records: ids, codes and results only. Absent facts are left out. */
export type AuditFacts = Readonly<Record<string, string | number | boolean | undefined>>;

/** Longest fact value kept; ids and codes are far shorter, so a longer one is a bug, not data. */
const FACT_LENGTH_MAX = 1024;
/** Hash the first entry follows (the chain head's initial value in migration 0003). */
export const GENESIS_HASH = '0'.repeat(64);

/** The hash `audit_append` stores: hex SHA-256 of the previous hash followed by the body, as UTF-8. */
export function chainHash(previousHash: string, body: string): string {
  return createHash('sha256').update(previousHash + body, 'utf8').digest('hex');
}

/** Asserts that every fact is short enough to be an id or a code (anything longer is a bug, not data). */
export function assertFactsFit(facts: AuditFacts): void {
  for (const [name, value] of Object.entries(facts)) assert.ok(String(value).length <= FACT_LENGTH_MAX, `audit fact ${name} is too long`);
}

/** Appends one entry, in the caller's transaction when there is one (so it commits with the act). */
export async function appendAudit(db: Db, action: AuditAction, facts: AuditFacts): Promise<void> {
  assertFactsFit(facts);
  // JSON drops undefined facts; the function drops nulls.
  await sql`SELECT audit_append(${action}, ${JSON.stringify(facts)}::jsonb)`.execute(db);
}
