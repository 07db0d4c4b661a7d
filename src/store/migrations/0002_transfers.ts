// Transfers (更新系): the transfer itself with its lifecycle, the idempotency keys of update calls, and the
// customers' TOTP secrets for 取引認証.
import { sql, type Kysely } from 'kysely';

const statements = [
  `CREATE TABLE transfers (
     apply_no                   text PRIMARY KEY CHECK (apply_no ~ '^[1-9][0-9]{15}$'),
     client_id                  text NOT NULL REFERENCES tpps (client_id),
     customer_id                text NOT NULL REFERENCES customers (customer_id),
     account_id                 text NOT NULL REFERENCES accounts (account_id),
     remitter_name              text NOT NULL,
     transfer_amount_yen        bigint NOT NULL CHECK (transfer_amount_yen > 0),
     fee_yen                    bigint NOT NULL CHECK (fee_yen >= 0),
     beneficiary_bank_code      text NOT NULL CHECK (beneficiary_bank_code ~ '^[0-9]{4}$'),
     beneficiary_bank_name      text NOT NULL,
     beneficiary_branch_code    text NOT NULL CHECK (beneficiary_branch_code ~ '^[0-9]{3}$'),
     beneficiary_branch_name    text NOT NULL,
     beneficiary_account_type   text NOT NULL CHECK (beneficiary_account_type IN ('1', '2', '4', '9')),
     beneficiary_account_number text NOT NULL CHECK (beneficiary_account_number ~ '^[0-9]{7}$'),
     beneficiary_name           text NOT NULL,
     edi_info                   text,
     payee_account_id           text REFERENCES accounts (account_id),
     designated_date            date NOT NULL,
     execution_date             date NOT NULL,
     status                     text NOT NULL CHECK (status IN ('awaiting_authorisation', 'expired', 'rejected', 'withdrawn', 'reserved',
                                  'cancelled', 'in_clearing', 'completed', 'returned', 'failed')),
     requested_at               timestamptz NOT NULL,
     authorisation_expires_at   timestamptz NOT NULL,
     totp_failures              integer NOT NULL DEFAULT 0,
     accept_no                  text UNIQUE CHECK (accept_no ~ '^[1-9][0-9]{15}$'),
     authorised_at              timestamptz,
     ended_at                   timestamptz,
     debit_entry_id             bigint REFERENCES journal_entries (entry_id),
     fee_entry_id               bigint REFERENCES journal_entries (entry_id),
     return_entry_id            bigint REFERENCES journal_entries (entry_id),
     failure_reason             text,
     CHECK ((status IN ('completed', 'in_clearing', 'returned')) = (debit_entry_id IS NOT NULL)),
     CHECK ((status = 'returned') = (return_entry_id IS NOT NULL))
   )`,
  `CREATE INDEX transfers_by_account ON transfers (account_id, requested_at)`,
  `CREATE INDEX transfers_reserved_by_date ON transfers (execution_date) WHERE status = 'reserved'`,
  `CREATE INDEX transfers_in_clearing ON transfers (authorised_at) WHERE status = 'in_clearing'`,
  `CREATE INDEX transfers_awaiting ON transfers (authorisation_expires_at) WHERE status = 'awaiting_authorisation'`,
  `CREATE TABLE idempotency_keys (
     client_id       text NOT NULL REFERENCES tpps (client_id),
     idempotency_key text NOT NULL,
     request_hash    text NOT NULL,
     status_code     integer NOT NULL,
     response        jsonb NOT NULL,
     expires_at      timestamptz NOT NULL,
     PRIMARY KEY (client_id, idempotency_key)
   )`,
  `CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at)`,
  `CREATE TABLE customer_totp (
     customer_id     text PRIMARY KEY REFERENCES customers (customer_id),
     secret_base32   text NOT NULL,
     last_used_step  bigint
   )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
