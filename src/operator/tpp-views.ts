// What operators see of TPPs: the list, one TPP's registration, its traffic and errors (from the audit log's
// `api.access` entries), its security events and its live grants. Every read is bounded.
import { sql } from 'kysely';
import type { Db } from '../store/db.ts';
import type { TppsTable } from '../store/schema.ts';
import { SECURITY_EVENT_KINDS } from '../security/security-events.ts';
import { TppNotFoundError } from './tpp-admin.ts';

/** Rows a list shows at most; a bank has tens of TPPs, and a TPP's newest events and grants come first. */
export const LIST_MAX = 200;
/** The traffic view reads the TPP's newest audit entries, at most this many. */
const TRAFFIC_ENTRIES_MAX = 10_000;

export interface TppSummary {
  clientId: string;
  name: string;
  registrationNumber: string | null;
  status: TppsTable['status'];
  authMethod: string;
  createdAt: Date;
  liveGrants: number;
}

export interface TppDetail extends TppSummary {
  contact: string | null;
  logoUri: string | null;
  profile: '1.0' | '2.0';
  redirectUris: string[];
  /** Allowed scopes; undefined when the TPP may ask for any. */
  scopes: string[] | undefined;
  tlsClientAuthSubjectDn: string | undefined;
  jwksUri: string | undefined;
  /** Key ids of the inline JWKS. */
  keyIds: string[];
}

export async function listTpps(db: Db): Promise<TppSummary[]> {
  const rows = await tppRows(db).orderBy('t.created_at', 'desc').limit(LIST_MAX).execute();
  return rows.map(summaryOf);
}

export async function tppDetail(db: Db, clientId: string): Promise<TppDetail> {
  const row = await tppRows(db).where('t.client_id', '=', clientId).executeTakeFirst();
  if (!row) throw new TppNotFoundError(clientId);
  const metadata = row.metadata as Record<string, unknown>;
  const keys = (metadata.jwks as { keys?: { kid?: string }[] } | undefined)?.keys ?? [];
  return {
    ...summaryOf(row),
    contact: row.contact,
    logoUri: row.logo_uri,
    profile: metadata.ginko_fapi_profile === '2.0' ? '2.0' : '1.0',
    redirectUris: (metadata.redirect_uris as string[] | undefined) ?? [],
    scopes: typeof metadata.scope === 'string' ? metadata.scope.split(' ') : undefined,
    tlsClientAuthSubjectDn: metadata.tls_client_auth_subject_dn as string | undefined,
    jwksUri: metadata.jwks_uri as string | undefined,
    keyIds: keys.map((key, i) => key.kid ?? `#${i + 1}`),
  };
}

export interface TrafficLine {
  route: string;
  method: string;
  /** 2 for 2xx, 4 for 4xx, 5 for 5xx. */
  statusClass: number;
  calls: number;
}

export interface RefusedCall {
  seq: number;
  at: string;
  route: string;
  method: string;
  status: number;
  customerId: string | undefined;
  interactionId: string | undefined;
}

export interface TppTraffic {
  since: Date;
  lines: TrafficLine[];
  recentErrors: RefusedCall[];
}

/** The TPP's API calls since `since`, by route and status class, and its newest refused calls. */
export async function tppTraffic(db: Db, clientId: string, since: Date): Promise<TppTraffic> {
  // The expression is the one the migration indexes (0007: audit_log_by_client), newest first.
  const recent = sql`SELECT seq, body::jsonb AS b FROM audit_log WHERE (body::jsonb ->> 'clientId') = ${clientId} ORDER BY seq DESC LIMIT ${TRAFFIC_ENTRIES_MAX}`;
  const calls = sql`SELECT seq, b FROM (${recent}) AS recent WHERE b ->> 'action' = 'api.access' AND (b ->> 'at')::timestamptz >= ${since}`;
  const { rows: lines } = await sql<{ route: string; method: string; status_class: number; calls: number }>`
    SELECT b ->> 'route' AS route, b ->> 'method' AS method, (b ->> 'status')::int / 100 AS status_class, count(*)::int AS calls
    FROM (${calls}) AS c GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 LIMIT ${LIST_MAX}`.execute(db);
  const { rows: errors } = await sql<{ seq: number; b: Record<string, unknown> }>`
    SELECT seq, b FROM (${calls}) AS c WHERE (b ->> 'status')::int >= 400 ORDER BY seq DESC LIMIT 50`.execute(db);
  return {
    since,
    lines: lines.map((line) => ({ route: line.route, method: line.method, statusClass: line.status_class, calls: line.calls })),
    recentErrors: errors.map(({ seq, b }) => ({
      seq: Number(seq),
      at: String(b.at),
      route: String(b.route),
      method: String(b.method),
      status: Number(b.status),
      customerId: b.customerId === undefined ? undefined : String(b.customerId),
      interactionId: b.interactionId === undefined ? undefined : String(b.interactionId),
    })),
  };
}

export interface TppSecurityEvent {
  eventId: number;
  occurredAt: Date;
  kind: (typeof SECURITY_EVENT_KINDS)[number] | string;
  customerId: string | null;
  grantId: string | null;
  interactionId: string | null;
  sourceAddress: string | null;
  detail: string;
}

export async function tppSecurityEvents(db: Db, clientId: string): Promise<TppSecurityEvent[]> {
  const rows = await db.selectFrom('security_events').selectAll().where('client_id', '=', clientId).orderBy('occurred_at', 'desc').limit(LIST_MAX).execute();
  return rows.map((row) => ({
    eventId: row.event_id,
    occurredAt: row.occurred_at,
    kind: row.kind,
    customerId: row.customer_id,
    grantId: row.grant_id,
    interactionId: row.interaction_id,
    sourceAddress: row.source_address,
    detail: row.detail,
  }));
}

export interface LiveGrant {
  grantId: string;
  customerId: string;
  scopes: string[];
  grantedAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date;
}

/** The TPP's live grants, newest first. */
export async function tppGrants(db: Db, clientId: string, now: Date): Promise<LiveGrant[]> {
  const rows = await db
    .selectFrom('consents')
    .select(['grant_id', 'customer_id', 'scopes', 'created_at', 'last_used_at', 'expires_at'])
    .where('client_id', '=', clientId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .limit(LIST_MAX)
    .execute();
  return rows.map((row) => ({ grantId: row.grant_id, customerId: row.customer_id, scopes: row.scopes.split(' '), grantedAt: row.created_at, lastUsedAt: row.last_used_at, expiresAt: row.expires_at }));
}

function tppRows(db: Db) {
  return db
    .selectFrom('tpps as t')
    .select(['t.client_id', 't.name', 't.registration_number', 't.status', 't.metadata', 't.created_at', 't.contact', 't.logo_uri'])
    .select((eb) =>
      eb
        .selectFrom('consents as c')
        .select(sql<number>`count(*)::int`.as('n'))
        .whereRef('c.client_id', '=', 't.client_id')
        .where('c.revoked_at', 'is', null)
        .where('c.expires_at', '>', sql<Date>`now()`)
        .as('live_grants'),
    );
}

function summaryOf(row: { client_id: string; name: string; registration_number: string | null; status: TppsTable['status']; metadata: Record<string, unknown>; created_at: Date; live_grants: number | null }): TppSummary {
  return {
    clientId: row.client_id,
    name: row.name,
    registrationNumber: row.registration_number,
    status: row.status,
    authMethod: String(row.metadata.token_endpoint_auth_method),
    createdAt: row.created_at,
    liveGrants: row.live_grants ?? 0,
  };
}
