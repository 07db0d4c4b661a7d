// The bank's operators (the console and the admin API): their logins, sessions and API tokens; what the
// operator records about a TPP beyond its client metadata (contact, logo); and indexes that let the console
// read one TPP's or one customer's audit entries without walking the whole chain.
import { sql, type Kysely } from 'kysely';

const statements = [
  `CREATE TABLE operators (
     operator_id        text PRIMARY KEY,
     name               text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
     role               text NOT NULL CHECK (role IN ('admin', 'auditor')),
     password_hash      text NOT NULL,
     totp_secret_base32 text NOT NULL,
     totp_last_used_step bigint,
     failed_logins      integer NOT NULL DEFAULT 0,
     locked_until       timestamptz,
     created_at         timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE operator_sessions (
     session_hash  text PRIMARY KEY,
     operator_id   text NOT NULL REFERENCES operators (operator_id),
     created_at    timestamptz NOT NULL DEFAULT now(),
     last_seen_at  timestamptz NOT NULL,
     expires_at    timestamptz NOT NULL
   )`,
  `CREATE INDEX operator_sessions_by_expiry ON operator_sessions (expires_at)`,
  `CREATE TABLE operator_api_tokens (
     token_hash   text PRIMARY KEY,
     operator_id  text NOT NULL REFERENCES operators (operator_id),
     label        text NOT NULL CHECK (length(label) <= 100),
     created_at   timestamptz NOT NULL DEFAULT now(),
     expires_at   timestamptz NOT NULL
   )`,
  `ALTER TABLE tpps ADD COLUMN contact text CHECK (length(contact) <= 200)`,
  `ALTER TABLE tpps ADD COLUMN logo_uri text CHECK (length(logo_uri) <= 70000)`,
  // The same expressions the console's queries use (operator/audit-viewer.ts), newest first by seq.
  `CREATE INDEX audit_log_by_client ON audit_log (((body::jsonb) ->> 'clientId'), seq)`,
  `CREATE INDEX audit_log_by_customer ON audit_log (((body::jsonb) ->> 'customerId'), seq)`,
  `CREATE INDEX audit_log_by_action ON audit_log (((body::jsonb) ->> 'action'), seq)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
