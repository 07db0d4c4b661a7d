// The admin API: everything the operator's console does, as JSON under /admin/api/v1, for the bank's own
// automation. Authenticated by an operator API token (`Authorization: Bearer ginko_op_…`, made by `ginko operator
// token`): it acts as its operator, with that operator's role, and every change is audited with the operator's id.
// Errors are `{ error, message, details? }`; a client's mistake is a 4xx that says what to fix.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import type { Db } from '../store/db.ts';
import { verifyAuditChain } from '../security/audit-verify.ts';
import { SENDER_CONSTRAINTS } from '../auth/fapi-profiles.ts';
import { SCOPES } from '../auth/scopes.ts';
import { ONBOARDING_AUTH_METHODS, TPP_PROFILES, TppRegistrationError } from '../tpp/registry.ts';
import { operatorForApiToken } from './api-tokens.ts';
import { AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX, readAuditLog } from './audit-viewer.ts';
import { OperatorForbiddenError, TppNotFoundError, type OperatorActor, type TppAdmin } from './tpp-admin.ts';
import { listTpps, tppDetail, tppGrants, tppSecurityEvents, tppTraffic } from './tpp-views.ts';

export const ADMIN_API_PREFIX = '/admin/api/v1';

export interface AdminApiOptions {
  db: Db;
  tppAdmin: TppAdmin;
}

/** An inline logo (data URL) makes the largest body. */
const BODY_BYTES_MAX = 128 * 1024;
/** The traffic view's default window. */
const TRAFFIC_DEFAULT_HOURS = 24;
const AUTHORIZATION_MAX_LENGTH = 256;

/** Fastify's Ajv drops unknown properties where `additionalProperties` is false; a misspelt field must be refused instead. */
const CLOSED = { additionalProperties: Type.Never() };
const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((value) => Type.Literal(value)));
const Reason = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 200, description: 'why, for the audit log' }) }, CLOSED);
const Jwks = Type.Object({ keys: Type.Array(Type.Object({ kty: Type.String({ maxLength: 8 }) }, { additionalProperties: true }), { minItems: 1, maxItems: 10 }) });
const Credentials = {
  tlsClientAuthSubjectDn: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'RFC 4514; required for tls_client_auth' })),
  jwks: Type.Optional(Jwks),
  jwksUri: Type.Optional(Type.String({ maxLength: 2000 })),
};
const CredentialsBody = Type.Object(Credentials, CLOSED);
const OnboardBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    registrationNumber: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: '電子決済等代行業者 登録番号' })),
    contact: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    redirectUris: Type.Array(Type.String({ maxLength: 2000 }), { minItems: 1, maxItems: 10 }),
    scopes: Type.Optional(Type.Array(literals([...SCOPES.keys()]), { minItems: 1, maxItems: SCOPES.size })),
    authMethod: literals(ONBOARDING_AUTH_METHODS),
    profile: Type.Optional(literals(TPP_PROFILES)),
    senderConstraint: Type.Optional(literals(SENDER_CONSTRAINTS)),
    logoUri: Type.Optional(Type.String({ maxLength: 70_000 })),
    ...Credentials,
  },
  CLOSED,
);
const ClientParams = Type.Object({ clientId: Type.String({ maxLength: 64 }) });
const GrantParams = Type.Object({ clientId: Type.String({ maxLength: 64 }), grantId: Type.String({ maxLength: 128 }) });
const DateTime = Type.String({ format: 'date-time', maxLength: 40 });
const TrafficQuery = Type.Object({ since: Type.Optional(DateTime) }, CLOSED);
const AuditQuery = Type.Object(
  {
    clientId: Type.Optional(Type.String({ maxLength: 64 })),
    customerId: Type.Optional(Type.String({ maxLength: 64 })),
    action: Type.Optional(Type.String({ maxLength: 64, pattern: '^[a-z_.]+$' })),
    from: Type.Optional(DateTime),
    to: Type.Optional(DateTime),
    beforeSeq: Type.Optional(Type.Integer({ minimum: 1 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: AUDIT_PAGE_MAX, default: AUDIT_PAGE_DEFAULT })),
  },
  CLOSED,
);

// What the API answers, declared so that a response never carries a field nobody meant to send.
const Instant = Type.Unsafe<Date>({ type: 'string', format: 'date-time' });
const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);
const TppSummary = {
  clientId: Type.String(),
  name: Type.String(),
  registrationNumber: Nullable(Type.String()),
  status: Type.String(),
  authMethod: Type.String(),
  createdAt: Instant,
  liveGrants: Type.Integer(),
};
const TppDetail = Type.Object({
  ...TppSummary,
  contact: Nullable(Type.String()),
  logoUri: Nullable(Type.String()),
  profile: Type.String(),
  redirectUris: Type.Array(Type.String()),
  scopes: Type.Optional(Type.Array(Type.String())),
  tlsClientAuthSubjectDn: Type.Optional(Type.String()),
  jwksUri: Type.Optional(Type.String()),
  keyIds: Type.Array(Type.String()),
});
const OneTpp = { 200: Type.Object({ tpp: TppDetail }) };
const Revoked = { 200: Type.Object({ revokedGrants: Type.Integer() }) };
const Grants = Type.Object({
  grants: Type.Array(
    Type.Object({ grantId: Type.String(), customerId: Type.String(), scopes: Type.Array(Type.String()), grantedAt: Instant, lastUsedAt: Type.Union([Instant, Type.Null()]), expiresAt: Instant }),
  ),
});
const Traffic = Type.Object({
  traffic: Type.Object({
    since: Instant,
    lines: Type.Array(Type.Object({ route: Type.String(), method: Type.String(), statusClass: Type.Integer(), calls: Type.Integer() })),
    recentErrors: Type.Array(
      Type.Object({ seq: Type.Integer(), at: Type.String(), route: Type.String(), method: Type.String(), status: Type.Integer(), customerId: Type.Optional(Type.String()), interactionId: Type.Optional(Type.String()) }),
    ),
  }),
});
const SecurityEvents = Type.Object({
  securityEvents: Type.Array(
    Type.Object({
      eventId: Type.Integer(),
      occurredAt: Instant,
      kind: Type.String(),
      customerId: Nullable(Type.String()),
      grantId: Nullable(Type.String()),
      interactionId: Nullable(Type.String()),
      sourceAddress: Nullable(Type.String()),
      detail: Type.String(),
    }),
  ),
});
const AuditPage = Type.Object({
  entries: Type.Array(Type.Object({ seq: Type.Integer(), at: Type.String(), action: Type.String(), facts: Type.Record(Type.String(), Type.Unknown()) })),
  nextBeforeSeq: Type.Optional(Type.Integer()),
});
const Verification = Type.Object({ intact: Type.Boolean(), entries: Type.Integer(), seq: Type.Optional(Type.Integer()), problem: Type.Optional(Type.String()) });

class AdminApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The operator an admin API request acts as (set by the authentication hook). */
    operatorActor?: OperatorActor;
  }
}

export const adminApiPlugin: FastifyPluginAsyncTypebox<AdminApiOptions> = async (app, { db, tppAdmin }) => {
  app.decorateRequest('operatorActor', undefined);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const header = request.headers.authorization ?? '';
    const token = header.length <= AUTHORIZATION_MAX_LENGTH && /^bearer /i.test(header) ? header.slice('bearer '.length).trim() : '';
    const operator = token ? await operatorForApiToken(db, token, new Date()) : undefined;
    if (!operator) {
      reply.header('www-authenticate', 'Bearer realm="ginko-admin"');
      throw new AdminApiError(401, 'unauthorized', 'an operator API token is required (Authorization: Bearer ginko_op_…, made by `ginko operator token`)');
    }
    request.operatorActor = { operator, via: 'api', requestId: request.id };
  });
  const actor = (request: FastifyRequest): OperatorActor => request.operatorActor!;

  app.get('/tpps', { schema: { response: { 200: Type.Object({ tpps: Type.Array(Type.Object(TppSummary)) }) } } }, async () => ({ tpps: await listTpps(db) }));

  app.post('/tpps', { schema: { body: OnboardBody, response: { 201: Type.Object({ clientId: Type.String(), tpp: TppDetail }) } }, bodyLimit: BODY_BYTES_MAX }, async (request, reply) => {
    const onboarded = await tppAdmin.onboard(actor(request), request.body);
    return reply.code(201).send({ clientId: onboarded.clientId, tpp: await tppDetail(db, onboarded.clientId) });
  });

  app.get('/tpps/:clientId', { schema: { params: ClientParams, response: OneTpp } }, async (request) => ({ tpp: await tppDetail(db, request.params.clientId) }));

  app.put('/tpps/:clientId/credentials', { schema: { params: ClientParams, body: CredentialsBody, response: OneTpp } }, async (request) => {
    await tppAdmin.rotateCredentials(actor(request), request.params.clientId, request.body);
    return { tpp: await tppDetail(db, request.params.clientId) };
  });

  app.post('/tpps/:clientId/suspend', { schema: { params: ClientParams, body: Reason, response: OneTpp } }, async (request) => {
    await tppAdmin.setStatus(actor(request), request.params.clientId, 'suspended', request.body.reason);
    return { tpp: await tppDetail(db, request.params.clientId) };
  });

  app.post('/tpps/:clientId/reinstate', { schema: { params: ClientParams, body: Reason, response: OneTpp } }, async (request) => {
    await tppAdmin.setStatus(actor(request), request.params.clientId, 'active', request.body.reason);
    return { tpp: await tppDetail(db, request.params.clientId) };
  });

  app.get('/tpps/:clientId/grants', { schema: { params: ClientParams, response: { 200: Grants } } }, async (request) => {
    await tppDetail(db, request.params.clientId);
    return { grants: await tppGrants(db, request.params.clientId, new Date()) };
  });

  app.post('/tpps/:clientId/grants/revoke', { schema: { params: ClientParams, body: Reason, response: Revoked } }, async (request) => ({
    revokedGrants: await tppAdmin.revokeAllGrants(actor(request), request.params.clientId, request.body.reason),
  }));

  app.post('/tpps/:clientId/grants/:grantId/revoke', { schema: { params: GrantParams, body: Reason, response: Revoked } }, async (request) => {
    if (!(await tppAdmin.revokeGrant(actor(request), request.params.clientId, request.params.grantId, request.body.reason))) {
      throw new AdminApiError(404, 'not_found', 'the TPP has no live grant with this id');
    }
    return { revokedGrants: 1 };
  });

  app.get('/tpps/:clientId/traffic', { schema: { params: ClientParams, querystring: TrafficQuery, response: { 200: Traffic } } }, async (request) => {
    await tppDetail(db, request.params.clientId);
    const since = request.query.since ? new Date(request.query.since) : new Date(Date.now() - TRAFFIC_DEFAULT_HOURS * 3600 * 1000);
    return { traffic: await tppTraffic(db, request.params.clientId, since) };
  });

  app.get('/tpps/:clientId/security-events', { schema: { params: ClientParams, response: { 200: SecurityEvents } } }, async (request) => {
    await tppDetail(db, request.params.clientId);
    return { securityEvents: await tppSecurityEvents(db, request.params.clientId) };
  });

  app.get('/audit', { schema: { querystring: AuditQuery, response: { 200: AuditPage } } }, async (request) => {
    const { from, to, limit, ...filters } = request.query;
    return readAuditLog(db, { ...filters, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined, limit: limit ?? AUDIT_PAGE_DEFAULT });
  });

  app.get('/audit/verification', { schema: { response: { 200: Verification } } }, async () => verifyAuditChain(db));

  app.setNotFoundHandler(async () => {
    throw new AdminApiError(404, 'not_found', 'no such admin API path');
  });
  app.setErrorHandler(async (error: FastifyError, request, reply) => adminErrorReply(error, request, reply));
};

function adminErrorReply(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const known = toAdminError(error);
  if (known.statusCode >= 500) request.log.error({ err: error }, 'admin API request failed');
  const details = error.validation?.slice(0, 10).map((issue) => ({ path: `/${error.validationContext ?? 'request'}${issue.instancePath}`, message: issue.message ?? 'invalid value' }));
  return reply.code(known.statusCode).send({ error: known.error, message: known.message, ...(details ? { details } : {}) });
}

function toAdminError(error: FastifyError): AdminApiError {
  if (error instanceof AdminApiError) return error;
  if (error instanceof TppRegistrationError) return new AdminApiError(400, 'invalid_request', error.message);
  if (error instanceof OperatorForbiddenError) return new AdminApiError(403, 'forbidden', error.message);
  if (error instanceof TppNotFoundError) return new AdminApiError(404, 'not_found', error.message);
  if (error.validation) return new AdminApiError(400, 'invalid_request', 'the request does not match the schema: see details');
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) return new AdminApiError(error.statusCode, 'invalid_request', error.message);
  return new AdminApiError(500, 'server_error', 'the bank could not do this; the log has the details');
}
