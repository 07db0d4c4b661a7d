// CIBA (decoupled authentication): each backchannel authentication request a TPP starts waits here for the
// customer's decision in the bank's app. oidc-provider keeps the request itself (oidc_models); this row is
// what the app lists and what the poll interval is measured against, shared by every node.
import { sql, type Kysely } from 'kysely';

const statements = [
  `CREATE TABLE backchannel_approvals (
     auth_req_id     text PRIMARY KEY,
     customer_id     text NOT NULL REFERENCES customers (customer_id),
     client_id       text NOT NULL REFERENCES tpps (client_id),
     scopes          text NOT NULL,
     binding_message text NOT NULL CHECK (length(binding_message) <= 100),
     created_at      timestamptz NOT NULL DEFAULT now(),
     expires_at      timestamptz NOT NULL,
     decision        text CHECK (decision IN ('approved', 'denied')),
     decided_at      timestamptz,
     last_polled_at  timestamptz,
     CHECK ((decision IS NULL) = (decided_at IS NULL))
   )`,
  `CREATE INDEX backchannel_approvals_pending ON backchannel_approvals (customer_id, expires_at) WHERE decision IS NULL`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
