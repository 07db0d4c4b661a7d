// The authorization server's secrets: JWS signing keys (published without their private parts in
// the JWKS, on the schedule of key-set.ts) and the keys that sign its cookies. Every node of a
// deployment loads the same set: from GINKO_KEYS_FILE (a mounted secret, made once with `ginko keys
// create`, rotated with `ginko keys rotate`), or, for a single node, made on first start in the data
// folder. Either way readable by the owner only, and re-read while running, so a rotation reaches
// every node without a restart.
import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError } from '../config/config.ts';
import { KeySetError, newKeySet, parseKeySet, publishedAt, rotatedKeySet, serializeKeySet, signerAt, type KeySet, type ScheduledKey, type SigningAlg } from './key-set.ts';
import { SIGNED_JWT_LIFETIME_SECONDS } from './provider.ts';

/**
 * How long a key stays in the JWKS after its successor starts signing: the longest lifetime of
 * anything it signed (ID tokens, JARM responses), plus the clock difference a TPP may allow.
 */
export const KEY_RETENTION_SECONDS = SIGNED_JWT_LIFETIME_SECONDS + 60;

const FILE_NAME = 'authorization-server-keys.json';

/** Where a key set is kept. The file store is the one built in; another (a KMS, a database) fits here. */
export interface KeySetStore {
  /** Names the store in messages. */
  readonly description: string;
  read(): Promise<KeySet>;
  /** Changes whenever the stored set may have; cheap enough to ask every few seconds. */
  version(): Promise<string>;
}

export class FileKeyStore implements KeySetStore {
  constructor(readonly file: string) {}

  get description(): string {
    return this.file;
  }

  async read(): Promise<KeySet> {
    assertOwnerOnly(this.file);
    try {
      return parseKeySet(readFileSync(this.file, 'utf8'));
    } catch (error) {
      if (!(error instanceof KeySetError)) throw error;
      throw new ConfigError(`${this.file} is not a valid key file (${error.message}): restore it, or replace it with \`npx ginko keys create\` (every issued token and session becomes invalid)`);
    }
  }

  async version(): Promise<string> {
    const stat = statSync(this.file);
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  }
}

/**
 * The key set a running node signs with. Which key signs and which are published is asked at each
 * signature and each JWKS response, so the schedule moves on by the clock alone; the set itself is
 * re-read from its store when the store says it changed.
 */
export class KeyRing implements AuthorizationServerKeys {
  /** Cookie secrets are read once: oidc-provider takes them at construction. */
  readonly cookieKeys: readonly string[];
  private readonly privateKeys = new Map<string, KeyObject>();

  constructor(
    private set: KeySet,
    private readonly store?: KeySetStore,
    private storedVersion?: string,
  ) {
    this.cookieKeys = set.cookieKeys;
  }

  signer(alg: SigningAlg, nowMs = Date.now()): ScheduledKey {
    const key = signerAt(this.set, alg, nowMs);
    if (!key) throw new Error(`no ${alg} key signs yet`);
    return key;
  }

  published(nowMs = Date.now()): ScheduledKey[] {
    return publishedAt(this.set, nowMs, KEY_RETENTION_SECONDS);
  }

  /** The private key of a published key (a signature names its key before it is made). */
  privateKey(kid: string): KeyObject | undefined {
    const key = this.published().find((candidate) => candidate.jwk.kid === kid);
    if (!key) return undefined;
    let keyObject = this.privateKeys.get(kid);
    if (!keyObject) {
      keyObject = createPrivateKey({ key: key.jwk as JsonWebKey, format: 'jwk' });
      this.privateKeys.set(kid, keyObject);
    }
    return keyObject;
  }

  /** Re-reads the set when the store changed; a broken or unreadable set leaves the current one in use. */
  async reload(logger: Logger): Promise<void> {
    if (!this.store) return;
    try {
      const version = await this.store.version();
      if (version === this.storedVersion) return;
      this.set = await this.store.read();
      this.storedVersion = version;
      this.privateKeys.clear();
      logger.info({ signingKeys: this.set.signingKeys.map((key) => key.jwk.kid) }, 'authorization-server keys reloaded');
    } catch (error) {
      logger.error({ keyStore: this.store.description, reason: error instanceof Error ? error.message : String(error) }, 'could not reload the authorization-server keys; the loaded ones stay in use');
    }
  }

  /** Reloads every `intervalSeconds` until stopped. */
  reloadEvery(intervalSeconds: number, logger: Logger): { stop(): void } {
    const timer = setInterval(() => void this.reload(logger), intervalSeconds * 1000);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }
}

/** The cookie secrets, for what derives its own secrets from them (CSRF tokens, DPoP nonces). */
export interface AuthorizationServerKeys {
  readonly cookieKeys: readonly string[];
}

/** The configured key file, which must exist; or the data folder's, made on first start. */
export async function loadKeys(source: { dataDir: string; keysFile: string | undefined }): Promise<KeyRing> {
  const file = keysFileOf(source);
  if (source.keysFile && !existsSync(file)) {
    throw new ConfigError(`GINKO_KEYS_FILE=${file} does not exist: make it once with \`npx ginko keys create --out ${file}\` and give every node the same file`);
  }
  if (!existsSync(file)) await createKeysFile(file);
  const store = new FileKeyStore(file);
  const version = await store.version();
  return new KeyRing(await store.read(), store, version);
}

export function keysFileOf(source: { dataDir: string; keysFile: string | undefined }): string {
  return source.keysFile ?? join(source.dataDir, 'keys', FILE_NAME);
}

/** Writes new keys to `file` (owner-only); refuses to replace a file, whose loss would end every session. */
export async function createKeysFile(file: string): Promise<void> {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, serializeKeySet(await newKeySet(Date.now())), { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
}

/**
 * Adds the next keys to `file`: published now, signing after `publishLeadSeconds`. The file is
 * replaced by a rename, so a node reading it sees the old set or the new one, never half of one;
 * the temporary file doubles as a lock against two rotations at once.
 */
export async function rotateKeysFile(file: string, options: { publishLeadSeconds: number; nowMs?: number }): Promise<KeySet> {
  const current = await new FileKeyStore(file).read();
  let rotated: KeySet;
  try {
    rotated = await rotatedKeySet(current, { nowMs: options.nowMs ?? Date.now(), publishLeadSeconds: options.publishLeadSeconds, retentionSeconds: KEY_RETENTION_SECONDS });
  } catch (error) {
    if (error instanceof KeySetError) throw new ConfigError(`${file}: ${error.message}`);
    throw error;
  }
  const next = `${file}.rotating`;
  try {
    writeFileSync(next, serializeKeySet(rotated), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new ConfigError(`${next} exists: another rotation is running, or one was interrupted (then delete that file and rotate again)`);
    throw error;
  }
  try {
    chmodSync(next, 0o600);
    renameSync(next, file);
  } catch (error) {
    rmSync(next, { force: true });
    throw error;
  }
  return rotated;
}

/** Private keys readable by anyone but their owner are refused: fix the mode rather than run with them. */
function assertOwnerOnly(file: string): void {
  if (process.platform === 'win32') return;
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(`${file} is readable by others (mode ${mode.toString(8).padStart(4, '0')}): it holds private keys; run \`chmod 600 ${file}\` and start again`);
  }
}
