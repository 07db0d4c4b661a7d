// The customer's own pages (connected apps): login sessions kept in the database, so any node serves any
// request of a session; and when each consent was last used by its TPP, for the customer to see.
import { sql, type Kysely } from 'kysely';

const statements = [
  `CREATE TABLE customer_sessions (
     session_hash  text PRIMARY KEY,
     customer_id   text NOT NULL REFERENCES customers (customer_id),
     created_at    timestamptz NOT NULL DEFAULT now(),
     last_seen_at  timestamptz NOT NULL,
     expires_at    timestamptz NOT NULL
   )`,
  `CREATE INDEX customer_sessions_by_expiry ON customer_sessions (expires_at)`,
  `ALTER TABLE consents ADD COLUMN last_used_at timestamptz`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
