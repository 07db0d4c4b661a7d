// PGlite has no lock of its own: two processes opening one data folder would corrupt it. The
// sandbox therefore holds a lock file while it runs; it also tells the CLI how to reach the running
// sandbox (its local admin URL and a per-run token), so the CLI never opens the store beside it.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SandboxLock {
  pid: number;
  /** Where the running sandbox accepts local admin calls (TPP registration). */
  adminUrl: string;
  /** Bearer token for those calls; the file is readable by the data folder's owner only. */
  adminToken: string;
}

const LOCK_FILE = 'sandbox.lock';

/** The data folder is held by another live process; the message says which and what to do. */
export class StoreInUseError extends Error {
  override name = 'StoreInUseError';
}

export function lockPath(dataDir: string): string {
  return join(dataDir, LOCK_FILE);
}

/** The lock of a sandbox that is running now, if any; a lock left by a dead process is ignored. */
export function readLiveLock(dataDir: string): SandboxLock | undefined {
  let lock: SandboxLock;
  try {
    lock = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as SandboxLock;
  } catch {
    return undefined;
  }
  return processAlive(lock.pid) ? lock : undefined;
}

export function acquireLock(dataDir: string, adminUrl: string): SandboxLock {
  const running = readLiveLock(dataDir);
  if (running && running.pid !== process.pid) {
    throw new StoreInUseError(`another Ginko sandbox (pid ${running.pid}) is using ${dataDir}: stop it first, or set GINKO_DATA_DIR to another folder`);
  }
  const lock: SandboxLock = { pid: process.pid, adminUrl, adminToken: randomBytes(32).toString('base64url') };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(lockPath(dataDir), JSON.stringify(lock), { mode: 0o600 });
  return lock;
}

export function releaseLock(dataDir: string, lock: SandboxLock): void {
  if (readLiveLock(dataDir)?.adminToken === lock.adminToken) rmSync(lockPath(dataDir), { force: true });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
