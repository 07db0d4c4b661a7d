// Instant revocation on every node: each node caches what the API guard read (api/access-cache.ts), and
// these triggers NOTIFY `ginko_access_changed` whenever any of it changes, whoever changes it. The tag
// names what changed: `grant:<id>`, `tpp:<clientId>`, or `*` when a statement touched
// too many grants to name. NOTIFY is transactional: it is sent at commit, and not at all on rollback.
import { sql, type Kysely } from 'kysely';

const statements = [
  // oidc_models per statement: revoking a grant deletes a handful of rows at once, and an expiry sweep
  // thousands; one notice per grant (deduplicated by PostgreSQL within the transaction), or one `*`.
  `CREATE FUNCTION notify_oidc_models_changed() RETURNS trigger LANGUAGE plpgsql AS $$
   DECLARE
     tags text[];
   BEGIN
     SELECT array_agg(DISTINCT 'grant:' || grant_id) INTO tags FROM changed_rows
       WHERE model IN ('AccessToken', 'Grant') AND grant_id IS NOT NULL;
     IF tags IS NULL THEN
       RETURN NULL;
     ELSIF cardinality(tags) > 100 THEN
       PERFORM pg_notify('ginko_access_changed', '*');
     ELSE
       PERFORM pg_notify('ginko_access_changed', tag) FROM unnest(tags) AS tag;
     END IF;
     RETURN NULL;
   END $$`,
  // A trigger with transition tables takes one event; the old rows name the grant either way.
  `CREATE TRIGGER oidc_models_deleted_notify AFTER DELETE ON oidc_models
     REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_oidc_models_changed()`,
  `CREATE TRIGGER oidc_models_updated_notify AFTER UPDATE ON oidc_models
     REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_oidc_models_changed()`,
  `CREATE FUNCTION notify_consent_changed() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM pg_notify('ginko_access_changed', 'grant:' || OLD.grant_id);
     RETURN NULL;
   END $$`,
  // Any change but the minute of last use, which the guard itself writes and does not read.
  `CREATE TRIGGER consents_changed_notify AFTER UPDATE ON consents FOR EACH ROW
     WHEN ((to_jsonb(OLD) - 'last_used_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_used_at')) EXECUTE FUNCTION notify_consent_changed()`,
  `CREATE TRIGGER consents_deleted_notify AFTER DELETE ON consents FOR EACH ROW EXECUTE FUNCTION notify_consent_changed()`,
  `CREATE FUNCTION notify_tpp_changed() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM pg_notify('ginko_access_changed', 'tpp:' || OLD.client_id);
     RETURN NULL;
   END $$`,
  `CREATE TRIGGER tpps_changed_notify AFTER UPDATE OR DELETE ON tpps FOR EACH ROW EXECUTE FUNCTION notify_tpp_changed()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
