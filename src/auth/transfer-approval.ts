// 取引認証 through the FAPI flow: a TPP has a requested transfer approved by sending RFC 9396
// `authorization_details` [{"type":"jp_transfer","applyNo":"…"}] in its signed request object (by value
// or pushed). The parameter is registered with oidc-provider as an extra parameter with this validator,
// not through its experimental richAuthorizationRequests feature, which requires resource indicators
// and would change how every access token is issued; the wire format is RFC 9396's either way.
// The details may repeat the transfer's fields; each one given must equal what was requested.
// The details the customer approved are kept on the grant and come back in the token response (§7).
import { errors, type Client, type KoaContextWithOIDC } from 'oidc-provider';
import { TransferRefusedError } from '../bank/transfers/model.ts';
import { transferAwaitingApproval } from '../bank/transfers/authorise.ts';
import type { Db } from '../store/db.ts';

export const TRANSFER_DETAILS_TYPE = 'jp_transfer';
/** authorization_details longer than this is not a single transfer. */
const DETAILS_LENGTH_MAX = 2048;
const APPLY_NO_PATTERN = /^[0-9]{16}$/;

type TransferRow = Awaited<ReturnType<typeof transferAwaitingApproval>>;

/** Fields a TPP may repeat in the details, and the value the requested transfer has for each. */
const BOUND_FIELDS: Readonly<Record<string, (transfer: TransferRow) => string>> = {
  accountId: (t) => t.account_id,
  transferAmount: (t) => String(t.transfer_amount_yen),
  transferDesignatedDate: (t) => t.designated_date,
  beneficiaryBankCode: (t) => t.beneficiary_bank_code,
  beneficiaryBranchCode: (t) => t.beneficiary_branch_code,
  accountTypeCode: (t) => t.beneficiary_account_type,
  accountNumber: (t) => t.beneficiary_account_number,
  beneficiaryName: (t) => t.beneficiary_name,
};

export interface TransferDetails {
  applyNo: string;
  bound: Record<string, string>;
}

/** RFC 9396 §7: what the customer approved, as the token response names it (the request's own fields, normalised). */
export function grantedTransferDetails(details: TransferDetails): { type: string } & Record<string, string> {
  return { type: TRANSFER_DETAILS_TYPE, applyNo: details.applyNo, ...details.bound };
}

/**
 * A provider middleware: a token response for a grant that approved authorization details carries
 * them (RFC 9396 §6.2), from the code and from any refresh of it. oidc-provider's own RAR feature
 * would do this, but it needs resource indicators (see above); the grant's `rar` field holds them.
 */
export async function authorizationDetailsInTokenResponse(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
  await next();
  if (ctx.oidc?.route !== 'token' || ctx.status !== 200 || typeof ctx.body !== 'object' || ctx.body === null) return;
  const granted = ctx.oidc.entities.Grant?.rar;
  if (granted !== undefined && granted.length > 0) (ctx.body as Record<string, unknown>).authorization_details = granted;
}

/** The one jp_transfer detail of the request, or undefined when there is none; throws on anything malformed. */
export function transferDetailsOf(value: unknown): TransferDetails | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > DETAILS_LENGTH_MAX) throw new errors.InvalidAuthorizationDetails('authorization_details is too long');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new errors.InvalidAuthorizationDetails('authorization_details is not JSON');
  }
  if (!Array.isArray(parsed) || parsed.length !== 1 || typeof parsed[0] !== 'object' || parsed[0] === null) {
    throw new errors.InvalidAuthorizationDetails('authorization_details must be an array of exactly one object');
  }
  const { type, applyNo, ...rest } = parsed[0] as Record<string, unknown>;
  if (type !== TRANSFER_DETAILS_TYPE) throw new errors.InvalidAuthorizationDetails(`unsupported authorization_details type (use ${TRANSFER_DETAILS_TYPE})`);
  if (typeof applyNo !== 'string' || !APPLY_NO_PATTERN.test(applyNo)) throw new errors.InvalidAuthorizationDetails('applyNo must be the 16-digit number /transfer/request returned');
  const bound: Record<string, string> = {};
  for (const [field, given] of Object.entries(rest)) {
    if (!Object.hasOwn(BOUND_FIELDS, field) || typeof given !== 'string') throw new errors.InvalidAuthorizationDetails(`unknown or non-string jp_transfer field ${field.slice(0, 40)}`);
    bound[field] = given;
  }
  return { applyNo, bound };
}

/** The transfer the details name, when it awaits this TPP's approval request and matches every field given. */
export async function transferToApprove(db: Db, details: TransferDetails, clientId: string, now: Date): Promise<TransferRow> {
  let transfer: TransferRow;
  try {
    transfer = await transferAwaitingApproval(db, { applyNo: details.applyNo, clientId }, now);
  } catch (error) {
    if (error instanceof TransferRefusedError) {
      // Another TPP's transfer is answered like a nonexistent one.
      const reason = error.reason === 'other-tpp' ? 'there is no such transfer' : error.message;
      throw new errors.InvalidAuthorizationDetails(`applyNo ${details.applyNo}: ${reason}`);
    }
    throw error;
  }
  for (const [field, given] of Object.entries(details.bound)) {
    if (BOUND_FIELDS[field]!(transfer) !== given) throw new errors.InvalidAuthorizationDetails(`${field} differs from the requested transfer`);
  }
  return transfer;
}

/** oidc-provider `extraParams` validator: refuses the authorization request before the customer sees anything. */
export function authorizationDetailsValidator(db: Db) {
  return async (ctx: KoaContextWithOIDC, value: string | undefined, client: Client): Promise<void> => {
    const details = transferDetailsOf(value);
    if (!details) return;
    const scopes = String(ctx.oidc.params?.scope ?? '').split(' ').filter((scope) => scope !== '');
    // An approval is for one transfer: it grants nothing that lasts (at most an ID token; plain OAuth asks no scope).
    if (scopes.some((scope) => scope !== 'openid')) throw new errors.InvalidRequest('a jp_transfer approval request asks for the openid scope only, or none');
    await transferToApprove(db, details, client.clientId, new Date());
  };
}
