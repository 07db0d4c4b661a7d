// Security events (attacks refused and acted on) and the tamper-evident audit log: an append-only,
// hash-chained list whose head row is locked by every append, so the chain stays linear across nodes;
// transfers and consents append to it by trigger.
import { sql, type Kysely } from 'kysely';

const statements = [
  `CREATE TABLE security_events (
     event_id        bigserial PRIMARY KEY,
     occurred_at     timestamptz NOT NULL DEFAULT now(),
     kind            text NOT NULL CHECK (length(kind) <= 64),
     client_id       text CHECK (length(client_id) <= 256),
     customer_id     text CHECK (length(customer_id) <= 256),
     grant_id        text CHECK (length(grant_id) <= 256),
     interaction_id  text CHECK (length(interaction_id) <= 64),
     source_address  text CHECK (length(source_address) <= 64),
     detail          text NOT NULL CHECK (length(detail) <= 1024)
   )`,
  `CREATE INDEX security_events_by_time ON security_events (occurred_at)`,
  `CREATE INDEX security_events_by_client ON security_events (client_id, occurred_at)`,
  // One entry per sequence number from 1 without gaps; body is the canonical JSON that was hashed,
  // kept as text (jsonb would reorder it).
  `CREATE TABLE audit_log (
     seq        bigint PRIMARY KEY CHECK (seq >= 1),
     body       text NOT NULL,
     prev_hash  text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
     hash       text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
   )`,
  `CREATE TABLE audit_chain_head (
     singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
     seq        bigint NOT NULL,
     hash       text NOT NULL
   )`,
  `INSERT INTO audit_chain_head (seq, hash) VALUES (0, repeat('0', 64))`,
  // The one way to append (security/audit-log.ts calls it; so do the triggers below): lock the head,
  // chain the entry to it, move the head. jsonb's text form is deterministic (keys sorted), and the
  // stored text is what was hashed, so the verifier never re-serialises anything.
  `CREATE FUNCTION audit_append(action text, facts jsonb) RETURNS void LANGUAGE plpgsql AS $$
   DECLARE
     head record;
     entry text;
     entry_hash text;
   BEGIN
     SELECT seq, hash INTO head FROM audit_chain_head FOR UPDATE;
     entry := (jsonb_strip_nulls(facts) || jsonb_build_object('action', action, 'at', clock_timestamp(), 'seq', head.seq + 1))::text;
     entry_hash := encode(sha256(convert_to(head.hash || entry, 'UTF8')), 'hex');
     INSERT INTO audit_log (seq, body, prev_hash, hash) VALUES (head.seq + 1, entry, head.hash, entry_hash);
     UPDATE audit_chain_head SET seq = head.seq + 1, hash = entry_hash;
   END $$`,
  // Transfers and consents are audited where they change, in the same transaction, whichever code path
  // (API, approval page, scheduler, operator SQL) changes them.
  `CREATE FUNCTION audit_transfer() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM audit_append('transfer.' || NEW.status, jsonb_build_object('applyNo', NEW.apply_no, 'clientId', NEW.client_id,
       'customerId', NEW.customer_id, 'accountId', NEW.account_id, 'amountYen', NEW.transfer_amount_yen, 'feeYen', NEW.fee_yen));
     RETURN NEW;
   END $$`,
  `CREATE TRIGGER transfers_audit_requested AFTER INSERT ON transfers FOR EACH ROW EXECUTE FUNCTION audit_transfer()`,
  `CREATE TRIGGER transfers_audit_changed AFTER UPDATE OF status ON transfers
     FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION audit_transfer()`,
  `CREATE FUNCTION audit_consent() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM audit_append(CASE WHEN TG_OP = 'INSERT' THEN 'consent.given' ELSE 'consent.revoked' END,
       jsonb_build_object('grantId', NEW.grant_id, 'clientId', NEW.client_id, 'customerId', NEW.customer_id, 'scopes', NEW.scopes, 'accountIds', NEW.account_ids));
     RETURN NEW;
   END $$`,
  `CREATE TRIGGER consents_audit_given AFTER INSERT ON consents FOR EACH ROW EXECUTE FUNCTION audit_consent()`,
  `CREATE TRIGGER consents_audit_revoked AFTER UPDATE OF revoked_at ON consents
     FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL) EXECUTE FUNCTION audit_consent()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
