// Error responses of the bank APIs: GMO-compatible bodies `{ errorCode, errorMessage[, errorDetails] }`,
// which Japanese TPP SDKs already parse, and RFC 6750 `WWW-Authenticate` challenges for token problems.
// Every client mistake maps to a 4xx; only our own faults are 5xx, and those say nothing about why.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DPOP_ALGORITHMS } from './dpop.ts';

/**
 * Error codes: E<status><nn>.
 *   E40001 入力値エラー (query validation, dates, ranges, item keys)
 *   E40002 (reserved: x-idempotency-key missing, transfers)
 *   E40003 アクセストークンの提示方法が不正 (token in query or form body, malformed Authorization header)
 *   E40101 アクセストークンが無効 (missing, unknown, expired, revoked, wrong certificate or DPoP proof, consent ended)
 *   E40301 スコープ不足
 *   E40302 口座を参照する権限がない (account not in the consent, another customer's, or nonexistent: one answer for all)
 *   E40303 TPP停止中
 *   E40401 リソースなし, E40501 メソッド不可, E41301 リクエストが大きすぎる, E41501 メディアタイプ非対応
 *   E42901 リクエスト過多 (the TPP's or the address's quota is spent; Retry-After says when to come back)
 *   E4xx00 any other client error (E40000 for a plain 400), E50001 システムエラー
 */
export interface ErrorDetail {
  errorDetailsCode: string;
  errorDetailsMessage: string;
  /** Our extension: a JSON pointer into the request (`/querystring/dateFrom`). */
  path?: string;
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly statusCode: number,
    readonly errorCode: string,
    readonly errorMessage: string,
    readonly errorDetails?: ErrorDetail[],
    /** RFC 6750 challenge for the WWW-Authenticate header, when the error is about the token. */
    readonly bearerChallenge?: BearerChallenge,
  ) {
    super(`${errorCode} ${errorMessage}`);
  }
}

export interface BearerChallenge {
  error: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof' | 'use_dpop_nonce';
  description: string;
  scope?: string;
  /** The scheme the refused token was presented with, or must be: DPoP for DPoP-bound tokens (RFC 9449 §7.1). */
  scheme?: 'Bearer' | 'DPoP';
  /** RFC 9449 §9: the nonce the client must put in its next proof, sent as `DPoP-Nonce`. */
  dpopNonce?: string;
}

/**
 * RFC 6750 §3 / RFC 9449 §7.1: quoted-string values; our descriptions are fixed ASCII without quotes or
 * backslashes. A 401 also offers the other scheme, so a client learns both ways in (mTLS or DPoP).
 */
function formatChallenges(statusCode: number, challenge: BearerChallenge): string[] {
  const scope = challenge.scope === undefined ? '' : `, scope="${challenge.scope}"`;
  const error = `error="${challenge.error}", error_description="${challenge.description}"${scope}`;
  // The DPoP challenge names the proof algorithms we accept (read here, not at load: dpop.ts imports this file).
  const algs = `algs="${DPOP_ALGORITHMS.join(' ')}"`;
  if (challenge.scheme === 'DPoP') return [`DPoP ${error}, ${algs}`];
  return statusCode === 401 ? [`Bearer ${error}`, `DPoP ${algs}`] : [`Bearer ${error}`];
}

export const invalidRequestToken = (description: string) =>
  new ApiError(400, 'E40003', 'アクセストークンの提示方法が正しくありません。', undefined, { error: 'invalid_request', description });

export const invalidToken = (description: string) =>
  new ApiError(401, 'E40101', 'アクセストークンが無効です。', undefined, { error: 'invalid_token', description });

/** RFC 9449 §7.1: a DPoP-bound token without a valid proof, or presented as Bearer. */
export const invalidDpopProof = (description: string) =>
  new ApiError(401, 'E40101', 'アクセストークンが無効です。', undefined, { error: 'invalid_dpop_proof', description, scheme: 'DPoP' });

/** RFC 9449 §9: a DPoP proof without a current server nonce; the client retries with this one. */
export const useDpopNonce = (nonce: string) =>
  new ApiError(401, 'E40101', 'アクセストークンが無効です。', undefined, { error: 'use_dpop_nonce', description: 'the DPoP proof must carry the nonce in DPoP-Nonce', scheme: 'DPoP', dpopNonce: nonce });

export const insufficientScope = (scope: string) =>
  new ApiError(403, 'E40301', 'アクセストークンのスコープが不足しています。', undefined, { error: 'insufficient_scope', description: 'the access token lacks a required scope', scope });

export const accountNotAccessible = () => new ApiError(403, 'E40302', '指定された口座は参照できません。');

export const tppSuspended = () => new ApiError(403, 'E40303', 'このTPPの利用は停止されています。');

export const validationError = (errorMessage: string, details?: ErrorDetail[]) => new ApiError(400, 'E40001', errorMessage, details);

/** Client errors by status, for Fastify's own (404 route, 413 body too large, 415 media type…). */
const CLIENT_ERRORS: Readonly<Record<number, { errorCode: string; errorMessage: string }>> = {
  404: { errorCode: 'E40401', errorMessage: '指定されたリソースは存在しません。' },
  405: { errorCode: 'E40501', errorMessage: '許可されていないメソッドです。' },
  413: { errorCode: 'E41301', errorMessage: 'リクエストが大きすぎます。' },
  415: { errorCode: 'E41501', errorMessage: 'サポートされていないメディアタイプです。' },
  429: { errorCode: 'E42901', errorMessage: 'リクエストが多すぎます。Retry-After の秒数の後に再度お試しください。' },
};

function clientError(statusCode: number): ApiError {
  const known = CLIENT_ERRORS[statusCode];
  return new ApiError(statusCode, known?.errorCode ?? `E${statusCode}00`, known?.errorMessage ?? 'リクエストが正しくありません。');
}

export const notFound = () => clientError(404);

/** A quota is spent (http/quotas.ts); the caller sets Retry-After. */
export const tooManyRequests = () => clientError(429);

/** For a path the API has, asked with a method it does not take; the caller sets `Allow`. */
export const methodNotAllowed = () => clientError(405);

/** Query parameters a route does not define; a misspelt `datefrom` must not silently mean "today". */
export const unknownQueryParameters = (names: string[]) =>
  validationError(
    '入力値が正しくありません。',
    names.slice(0, 10).map((name) => ({
      errorDetailsCode: 'E40001',
      errorDetailsMessage: 'unknown query parameter',
      // A JSON pointer to the parameter (RFC 6901 escaping); an absurdly long name is not echoed.
      ...(name.length <= 64 ? { path: `/querystring/${name.replaceAll('~', '~0').replaceAll('/', '~1')}` } : {}),
    })),
  );

/** Maps any error to the API's error body. Registered by bankApiPlugin for its own routes only. */
export function apiErrorHandler(error: FastifyError | ApiError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const apiError = toApiError(error);
  if (apiError.statusCode >= 500) {
    request.log.error({ err: error }, 'bank API request failed');
  } else {
    request.log.info({ errorCode: apiError.errorCode, reason: apiError.bearerChallenge?.description ?? error.message }, 'bank API request refused');
  }
  if (apiError.bearerChallenge) reply.header('www-authenticate', formatChallenges(apiError.statusCode, apiError.bearerChallenge));
  if (apiError.bearerChallenge?.dpopNonce) reply.header('dpop-nonce', apiError.bearerChallenge.dpopNonce);
  const body: { errorCode: string; errorMessage: string; errorDetails?: ErrorDetail[] } = { errorCode: apiError.errorCode, errorMessage: apiError.errorMessage };
  if (apiError.errorDetails?.length) body.errorDetails = apiError.errorDetails;
  return reply.code(apiError.statusCode).send(body);
}

function toApiError(error: FastifyError | ApiError | Error): ApiError {
  if (error instanceof ApiError) return error;
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) {
    return validationError(
      '入力値が正しくありません。',
      fastifyError.validation.slice(0, 10).map((issue) => ({
        errorDetailsCode: 'E40001',
        errorDetailsMessage: issue.message ?? 'invalid value',
        path: `/${fastifyError.validationContext ?? 'request'}${issue.instancePath}${missingPropertyOf(issue.params)}`,
      })),
    );
  }
  const status = fastifyError.statusCode;
  // A 401 must carry a Bearer challenge; only the guard knows why, so a stray one is a plain invalid token.
  if (status === 401) return invalidToken('the access token is not valid');
  if (typeof status === 'number' && status >= 400 && status < 500) return clientError(status);
  return new ApiError(500, 'E50001', 'システムエラーが発生しました。');
}

/** Ajv reports a missing required property on the parent object; name it in the path. */
function missingPropertyOf(params: Record<string, unknown> | undefined): string {
  const missing = params?.missingProperty;
  return typeof missing === 'string' ? `/${missing}` : '';
}
