// Row types of every table, as Kysely sees them. The SQL that creates them is in migrations/.
import type { ColumnType, Generated } from 'kysely';

/** Set by the database on insert; never written by the application. */
type CreatedAt = ColumnType<Date, Date | undefined, never>;
/** int8 columns arrive as JS numbers (see db.ts) and are written as numbers. */
type Int8 = number;

export interface CustomersTable {
  customer_id: string;
  login_id: string;
  /** scrypt hash in the form produced by bank/passwords.ts. */
  password_hash: string;
  /** Full-width name, as on the account. */
  name: string;
  /** Half-width katakana name (Zengin character set). */
  name_kana: string;
  created_at: CreatedAt;
}

/**
 * Every ledger account: a customer's deposit account (kind 'customer'), or one of the bank's own
 * accounts (kind 'internal': clearing, cash, card settlement…) that stands on the other side of
 * money entering or leaving the bank. Bank-detail columns are null for internal accounts.
 */
export interface AccountsTable {
  account_id: string;
  kind: 'customer' | 'internal';
  customer_id: string | null;
  branch_code: string | null;
  branch_name: string | null;
  /** 2-digit 科目コード of the bank's own products ('01' 普通預金 …); never the 1-digit Zengin 預金種目. */
  account_type_code: string | null;
  account_type_name: string | null;
  account_number: string | null;
  account_name: string;
  account_name_kana: string | null;
  /** '1' 代表口座, '2' 追加口座. */
  primary_account_code: string | null;
  currency_code: string;
  transfer_limit_amount_yen: Int8 | null;
  /** Cached sum of this account's postings; updated in the same transaction as every posting. */
  balance_yen: Int8;
  opened_at: Date;
}

/** One balanced movement of money: its postings sum to zero. */
export interface JournalEntriesTable {
  entry_id: Generated<Int8>;
  booked_at: Date;
  /** 'YYYY-MM-DD' in JST. */
  value_date: string;
  description: string;
}

export interface PostingsTable {
  posting_id: Generated<Int8>;
  entry_id: Int8;
  account_id: string;
  /** Signed: positive is money into the account (入金), negative money out (出金). Never zero. */
  amount_yen: Int8;
  /** The account's balance right after this posting (取引後残高). */
  balance_after_yen: Int8;
  booked_at: Date;
  /** JST calendar date of `booked_at` ('YYYY-MM-DD'): what the transaction history filters on. */
  transaction_date: string;
  value_date: string;
  /** 摘要 as the customer sees it, e.g. 'ｷﾕｳﾖ ｶ)ｷﾞﾝｺｳｼﾖｳｼﾞ'. */
  remarks: string;
}

/** A registered third-party provider (TPP): its OAuth client metadata and its standing with the bank. */
export interface TppsTable {
  client_id: string;
  name: string;
  /** 電子決済等代行業者 登録番号, when the TPP has one. */
  registration_number: string | null;
  /** `deregistered`: the TPP deleted its own registration (RFC 7592); final. */
  status: 'active' | 'suspended' | 'deregistered';
  /** Whom the bank calls about this TPP (an e-mail address or phone number), when the operator recorded one. */
  contact: ColumnType<string | null, string | null | undefined, string | null>;
  /** https URL or validated image data URL shown on the consent page (tpp/logo.ts). */
  logo_uri: ColumnType<string | null, string | null | undefined, string | null>;
  /** oidc-provider client metadata (redirect_uris, jwks, token_endpoint_auth_method, …). */
  metadata: ColumnType<Record<string, unknown>, string, string>;
  created_at: CreatedAt;
}

/** A customer's consent to one TPP: what it may read, which accounts, and until when. */
export interface ConsentsTable {
  /** The oidc-provider Grant id the consent was saved as; tokens carry it. */
  grant_id: string;
  customer_id: string;
  client_id: string;
  /** Space-separated scopes granted. */
  scopes: string;
  account_ids: ColumnType<string[], string, string>;
  created_at: CreatedAt;
  expires_at: Date;
  revoked_at: Date | null;
  /** The TPP's latest API call under this consent, to the minute (written by the API guard). */
  last_used_at: ColumnType<Date | null, never, Date>;
}

/** oidc-provider's artifacts (codes, tokens, sessions, interactions, grants, PAR requests…). */
export interface OidcModelsTable {
  model: string;
  id: string;
  payload: ColumnType<Record<string, unknown>, string, string>;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  expires_at: Date | null;
  consumed_at: Date | null;
}

/** Internal lifecycle of a transfer; api/transfers.ts maps it to GMO's transferStatus and resultCode. */
export type TransferState =
  | 'awaiting_authorisation'
  | 'expired'
  | 'rejected'
  | 'withdrawn'
  | 'reserved'
  | 'cancelled'
  | 'in_clearing'
  | 'completed'
  | 'returned'
  | 'failed';

/** One transfer (振込): what the TPP asked for, where it is in its lifecycle, and the entries that moved its money. */
export interface TransfersTable {
  /** 振込申請番号, 16 digits. */
  apply_no: string;
  client_id: string;
  customer_id: string;
  /** The debit account (the customer's). */
  account_id: string;
  remitter_name: string;
  transfer_amount_yen: Int8;
  fee_yen: Int8;
  beneficiary_bank_code: string;
  beneficiary_bank_name: string;
  beneficiary_branch_code: string;
  beneficiary_branch_name: string;
  /** 1-digit Zengin 預金種目. */
  beneficiary_account_type: string;
  beneficiary_account_number: string;
  /** Half-width katakana, normalised to the Zengin character set. */
  beneficiary_name: string;
  edi_info: string | null;
  /** The payee's account when it is at this bank. */
  payee_account_id: string | null;
  /** 振込指定日 as asked, and the business day it runs on. */
  designated_date: string;
  execution_date: string;
  status: TransferState;
  requested_at: Date;
  authorisation_expires_at: Date;
  totp_failures: Generated<number>;
  accept_no: string | null;
  authorised_at: Date | null;
  ended_at: Date | null;
  debit_entry_id: Int8 | null;
  fee_entry_id: Int8 | null;
  return_entry_id: Int8 | null;
  failure_reason: string | null;
}

/** A TPP's x-idempotency-key and the response it got, for 24 hours. */
export interface IdempotencyKeysTable {
  client_id: string;
  idempotency_key: string;
  /** SHA-256 of the canonical request. */
  request_hash: string;
  status_code: number;
  response: ColumnType<unknown, string, string>;
  expires_at: Date;
}

/** A customer's RFC 6238 secret; `last_used_step` makes each code work once. */
export interface CustomerTotpTable {
  customer_id: string;
  secret_base32: string;
  last_used_step: Int8 | null;
}

/** An attack refused and acted on (security/security-events.ts); ids only, no personal data. */
export interface SecurityEventsTable {
  event_id: Generated<Int8>;
  occurred_at: CreatedAt;
  kind: string;
  client_id: string | null;
  customer_id: string | null;
  grant_id: string | null;
  interaction_id: string | null;
  source_address: string | null;
  detail: string;
}

/** One entry of the hash chain: hash = SHA-256(prev_hash + body), body the canonical JSON. */
export interface AuditLogTable {
  seq: Int8;
  body: string;
  prev_hash: string;
  hash: string;
}

/** The single row every append locks: the last entry's number and hash. */
export interface AuditChainHeadTable {
  singleton: ColumnType<boolean, never, never>;
  seq: Int8;
  hash: string;
}

export interface Database {
  customers: CustomersTable;
  accounts: AccountsTable;
  journal_entries: JournalEntriesTable;
  postings: PostingsTable;
  tpps: TppsTable;
  consents: ConsentsTable;
  oidc_models: OidcModelsTable;
  transfers: TransfersTable;
  idempotency_keys: IdempotencyKeysTable;
  customer_totp: CustomerTotpTable;
  customer_sessions: CustomerSessionsTable;
  customer_passkeys: CustomerPasskeysTable;
  passkey_challenges: PasskeyChallengesTable;
  login_failures: LoginFailuresTable;
  security_events: SecurityEventsTable;
  audit_log: AuditLogTable;
  audit_chain_head: AuditChainHeadTable;
  backchannel_approvals: BackchannelApprovalsTable;
  operators: OperatorsTable;
  operator_sessions: OperatorSessionsTable;
  operator_api_tokens: OperatorApiTokensTable;
}

/** A customer logged in to the bank's own pages; the cookie holds the id, the table only its hash. */
export interface CustomerSessionsTable {
  session_hash: string;
  customer_id: string;
  created_at: CreatedAt;
  last_seen_at: Date;
  expires_at: Date;
}

/** A customer's passkey: a WebAuthn credential, its COSE public key and signature counter. */
export interface CustomerPasskeysTable {
  /** base64url, as the authenticator reports it. */
  credential_id: string;
  customer_id: string;
  public_key: Uint8Array;
  sign_count: Int8;
  /** Space-separated WebAuthn transports ('internal hybrid'), hints for the browser. */
  transports: string;
  /** Synced to a cloud account (backup state): a software key rather than one bound to hardware. */
  backed_up: boolean;
  name: string;
  created_at: CreatedAt;
  last_used_at: Date | null;
}

/** The challenge a page handed out for one ceremony (`binding` names it: an interaction, a session). */
export interface PasskeyChallengesTable {
  binding: string;
  challenge: string;
  /** Set when only this customer's passkeys may answer (enrolment, transfer approval). */
  customer_id: string | null;
  expires_at: Date;
}

/** Failed logins per login ID (its SHA-256), for back-off and lock. */
export interface LoginFailuresTable {
  login_key: string;
  failures: number;
  last_failed_at: Date;
  locked_until: Date | null;
}

/** A bank operator (console and admin API): scrypt password and TOTP, like a customer, and a role. */
export interface OperatorsTable {
  operator_id: string;
  /** The login name, lower case. */
  name: string;
  role: 'admin' | 'auditor';
  password_hash: string;
  totp_secret_base32: string;
  totp_last_used_step: Int8 | null;
  failed_logins: Generated<number>;
  locked_until: Date | null;
  created_at: CreatedAt;
}

/** An operator logged in to the console; like customer_sessions. */
export interface OperatorSessionsTable {
  session_hash: string;
  operator_id: string;
  created_at: CreatedAt;
  last_seen_at: Date;
  expires_at: Date;
}

/** A bearer token for the admin API, made by `ginko operator token`; only its SHA-256 is kept. */
export interface OperatorApiTokensTable {
  token_hash: string;
  operator_id: string;
  label: string;
  created_at: CreatedAt;
  expires_at: Date;
}

/** A CIBA request waiting for (or given) the customer's decision in the bank's app (ciba/approvals.ts). */
export interface BackchannelApprovalsTable {
  auth_req_id: string;
  customer_id: string;
  client_id: string;
  /** Space-separated, as requested. */
  scopes: string;
  binding_message: string;
  created_at: CreatedAt;
  expires_at: Date;
  decision: 'approved' | 'denied' | null;
  decided_at: Date | null;
  /** The TPP's latest token request for it: the poll interval is measured from here. */
  last_polled_at: Date | null;
}
