// Dynamic client registration (RFC 7592) lets a TPP delete its registration. Its row stays, since its
// consents and the audit log name it; the status says it is gone for good, unlike a suspension an
// operator can lift.
import { sql, type Kysely } from 'kysely';

const statements = [
  `ALTER TABLE tpps DROP CONSTRAINT tpps_status_check`,
  `ALTER TABLE tpps ADD CONSTRAINT tpps_status_check CHECK (status IN ('active', 'suspended', 'deregistered'))`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
