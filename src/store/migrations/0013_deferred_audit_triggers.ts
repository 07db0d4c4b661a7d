// Transfers and consents are audited at commit instead of at the change: the audit append locks the
// chain's head row, and a trigger firing at the change held that lock for the rest of the transaction
// (a transfer execution's ledger work), so every transfer waited for every other (bench scenario 5).
// As deferred constraint triggers they fire as the transaction commits, in the order of its changes,
// each with the row as it was at its change; still in the same transaction, so an entry commits with
// its act or not at all.
import { sql, type Kysely } from 'kysely';

const statements = [
  `DROP TRIGGER transfers_audit_requested ON transfers`,
  `DROP TRIGGER transfers_audit_changed ON transfers`,
  `DROP TRIGGER consents_audit_given ON consents`,
  `DROP TRIGGER consents_audit_revoked ON consents`,
  `CREATE CONSTRAINT TRIGGER transfers_audit_requested AFTER INSERT ON transfers
     DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_transfer()`,
  `CREATE CONSTRAINT TRIGGER transfers_audit_changed AFTER UPDATE OF status ON transfers
     DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION audit_transfer()`,
  `CREATE CONSTRAINT TRIGGER consents_audit_given AFTER INSERT ON consents
     DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_consent()`,
  `CREATE CONSTRAINT TRIGGER consents_audit_revoked AFTER UPDATE OF revoked_at ON consents
     DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL) EXECUTE FUNCTION audit_consent()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
