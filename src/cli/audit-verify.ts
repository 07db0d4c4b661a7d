// `ginko audit verify`: walks the audit chain of the configured store and says whether it is intact.
import type { GinkoConfig } from '../config/config.ts';
import { verifyAuditChain } from '../security/audit-verify.ts';
import { openStore } from '../store/db.ts';
import { acquireLock, releaseLock } from '../store/embedded-lock.ts';

/** Exit code: 0 intact, 1 tampered. */
export async function auditVerify(config: GinkoConfig): Promise<number> {
  // The embedded store cannot be opened beside a running sandbox; PostgreSQL can be read by anyone.
  const lock = config.databaseUrl ? undefined : acquireLock(config.dataDir, config.browser.publicUrl);
  try {
    const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, migrate: false });
    try {
      const verdict = await verifyAuditChain(store.db);
      if (verdict.intact) {
        console.log(`audit log intact: ${verdict.entries} entries`);
        return 0;
      }
      console.error(`audit log TAMPERED at entry ${verdict.seq}: ${verdict.problem} (entries 1–${verdict.entries} are intact)`);
      return 1;
    } finally {
      await store.close();
    }
  } finally {
    if (lock) releaseLock(config.dataDir, lock);
  }
}
