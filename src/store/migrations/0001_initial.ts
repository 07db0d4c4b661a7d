import { sql, type Kysely } from 'kysely';

const statements = [
  `CREATE TABLE customers (
     customer_id   text PRIMARY KEY,
     login_id      text NOT NULL UNIQUE,
     password_hash text NOT NULL,
     name          text NOT NULL,
     name_kana     text NOT NULL,
     created_at    timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE accounts (
     account_id                text PRIMARY KEY,
     kind                      text NOT NULL CHECK (kind IN ('customer', 'internal')),
     customer_id               text REFERENCES customers (customer_id),
     branch_code               text CHECK (branch_code ~ '^[0-9]{3}$'),
     branch_name               text,
     account_type_code         text CHECK (account_type_code ~ '^[0-9]{2}$'),
     account_type_name         text,
     account_number            text CHECK (account_number ~ '^[0-9]{7}$'),
     account_name              text NOT NULL,
     account_name_kana         text,
     primary_account_code      text CHECK (primary_account_code IN ('1', '2')),
     currency_code             text NOT NULL DEFAULT 'JPY',
     transfer_limit_amount_yen bigint CHECK (transfer_limit_amount_yen > 0),
     balance_yen               bigint NOT NULL DEFAULT 0,
     opened_at                 timestamptz NOT NULL,
     CHECK ((kind = 'customer') = (customer_id IS NOT NULL))
   )`,
  `CREATE INDEX accounts_by_customer ON accounts (customer_id, account_id)`,
  `CREATE TABLE journal_entries (
     entry_id    bigserial PRIMARY KEY,
     booked_at   timestamptz NOT NULL,
     value_date  date NOT NULL,
     description text NOT NULL
   )`,
  `CREATE TABLE postings (
     posting_id        bigserial PRIMARY KEY,
     entry_id          bigint NOT NULL REFERENCES journal_entries (entry_id),
     account_id        text NOT NULL REFERENCES accounts (account_id),
     amount_yen        bigint NOT NULL CHECK (amount_yen <> 0),
     balance_after_yen bigint NOT NULL,
     booked_at         timestamptz NOT NULL,
     transaction_date  date NOT NULL,
     value_date        date NOT NULL,
     remarks           text NOT NULL
   )`,
  `CREATE INDEX postings_by_account_date ON postings (account_id, transaction_date, posting_id)`,
  `CREATE INDEX postings_by_entry ON postings (entry_id)`,
  `CREATE TABLE tpps (
     client_id           text PRIMARY KEY,
     name                text NOT NULL,
     registration_number text,
     status              text NOT NULL CHECK (status IN ('active', 'suspended')),
     metadata            jsonb NOT NULL,
     created_at          timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE consents (
     grant_id    text PRIMARY KEY,
     customer_id text NOT NULL REFERENCES customers (customer_id),
     client_id   text NOT NULL REFERENCES tpps (client_id),
     scopes      text NOT NULL,
     account_ids jsonb NOT NULL,
     created_at  timestamptz NOT NULL DEFAULT now(),
     expires_at  timestamptz NOT NULL,
     revoked_at  timestamptz
   )`,
  `CREATE INDEX consents_by_customer ON consents (customer_id, client_id)`,
  `CREATE TABLE oidc_models (
     model       text NOT NULL,
     id          text NOT NULL,
     payload     jsonb NOT NULL,
     grant_id    text,
     uid         text,
     user_code   text,
     expires_at  timestamptz,
     consumed_at timestamptz,
     PRIMARY KEY (model, id)
   )`,
  `CREATE INDEX oidc_models_by_grant ON oidc_models (grant_id) WHERE grant_id IS NOT NULL`,
  `CREATE INDEX oidc_models_by_uid ON oidc_models (uid) WHERE uid IS NOT NULL`,
  `CREATE INDEX oidc_models_by_user_code ON oidc_models (user_code) WHERE user_code IS NOT NULL`,
  `CREATE INDEX oidc_models_by_expiry ON oidc_models (expires_at) WHERE expires_at IS NOT NULL`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
