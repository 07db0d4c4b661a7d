// Customer login: passkeys (WebAuthn credentials), the one-time challenges of their ceremonies, and failed
// logins counted per login ID, in the database so that every node sees the same back-off and lock.
import { sql, type Kysely } from 'kysely';

const statements = [
  `CREATE TABLE customer_passkeys (
     credential_id   text PRIMARY KEY CHECK (length(credential_id) <= 1366),
     customer_id     text NOT NULL REFERENCES customers (customer_id),
     public_key      bytea NOT NULL,
     sign_count      int8 NOT NULL DEFAULT 0,
     transports      text NOT NULL DEFAULT '',
     backed_up       boolean NOT NULL,
     name            text NOT NULL CHECK (length(name) <= 64),
     created_at      timestamptz NOT NULL DEFAULT now(),
     last_used_at    timestamptz
   )`,
  `CREATE INDEX customer_passkeys_by_customer ON customer_passkeys (customer_id)`,
  // A challenge works once, for what it was handed out for (`binding`: an interaction's login, a session's enrolment).
  `CREATE TABLE passkey_challenges (
     challenge   text PRIMARY KEY CHECK (length(challenge) <= 128),
     binding     text NOT NULL CHECK (length(binding) <= 200),
     customer_id text,
     expires_at  timestamptz NOT NULL
   )`,
  `CREATE INDEX passkey_challenges_by_binding ON passkey_challenges (binding)`,
  `CREATE INDEX passkey_challenges_by_expiry ON passkey_challenges (expires_at)`,
  // The login ID is kept only as its SHA-256: the table says nothing about who tried.
  `CREATE TABLE login_failures (
     login_key       text PRIMARY KEY,
     failures        int4 NOT NULL,
     last_failed_at  timestamptz NOT NULL,
     locked_until    timestamptz
   )`,
  `CREATE INDEX login_failures_by_time ON login_failures (last_failed_at)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
