// What oidc-provider writes while it answers one request is committed once, just before the answer goes
// out, instead of one commit per row. Each commit waits for PostgreSQL's WAL flush (~3 ms on the bench
// machine, against ~0.1 ms for a read), and oidc-provider saves its rows one after another: an
// authorization's resume made five commits in a row, a code exchange four. Nothing leaves the bank before
// its rows are committed: the answer is written only after this middleware returns, and if the commit
// fails the request fails. Inside the request, a buffered row reads as written (RequestWrites.lookup).
//
// What stays immediate: a code or pushed request's single use (`consume`, the atomic check that decides
// the request), jti replay checks (replay-detection.ts), revocations, and the models a request's own
// checks read back from the store (grants, CIBA requests), which are not buffered.
//
// The same middleware holds the answer until the request's audit entries are committed
// (security/provider-events.ts): one wait for both, side by side.
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AdapterPayload } from 'oidc-provider';
import type { Db } from '../store/db.ts';
import { writeModelRows, type ModelRow } from './model-rows.ts';

/** Models whose rows nothing reads from the store in the request that writes them. */
const BUFFERED_MODELS: ReadonlySet<string> = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'Interaction', 'Session', 'PushedAuthorizationRequest']);
/** One request writes a handful of rows; far more means something is wrong. */
const WRITES_PER_REQUEST_MAX = 64;

type Write = { kind: 'upsert'; row: ModelRow } | { kind: 'destroy'; model: string; id: string };

/** A buffered row as it reads: `known` false when the request wrote nothing to it. */
export type BufferedRead = { known: false } | { known: true; payload: AdapterPayload | undefined };

export class RequestWrites {
  private writes: Write[] = [];
  private readonly held: Promise<unknown>[] = [];

  constructor(private readonly db: Db) {}

  upsert(row: ModelRow): void {
    this.add({ kind: 'upsert', row });
  }

  destroy(model: string, id: string): void {
    this.add({ kind: 'destroy', model, id });
  }

  /** The latest buffered write to (model, id), as a find would see it after the flush. */
  lookup(model: string, id: string): BufferedRead {
    for (let i = this.writes.length - 1; i >= 0; i--) {
      const write = this.writes[i]!;
      if (write.kind === 'upsert' && write.row.model === model && write.row.id === id) return { known: true, payload: JSON.parse(write.row.payload) as AdapterPayload };
      if (write.kind === 'destroy' && write.model === model && write.id === id) return { known: true, payload: undefined };
    }
    return { known: false };
  }

  touches(model: string): boolean {
    return this.writes.some((write) => (write.kind === 'upsert' ? write.row.model : write.model) === model);
  }

  /** A revoked grant's rows written in this request never reach the store. */
  dropGrant(grantId: string): void {
    this.writes = this.writes.filter((write) => write.kind !== 'upsert' || write.row.grant_id !== grantId);
  }

  /** The answer also waits for this (an audit entry), settled side by side with the flush. */
  hold(work: Promise<unknown>): void {
    this.held.push(work);
  }

  /** Commits what is buffered in one statement: each row's last write (its state at the end of the request). */
  async flush(): Promise<void> {
    const writes = this.writes;
    this.writes = [];
    const last = new Map<string, Write>();
    for (const write of writes) {
      const { model, id } = write.kind === 'upsert' ? write.row : write;
      const key = `${model}\u0000${id}`;
      last.delete(key);
      last.set(key, write);
    }
    const final = [...last.values()];
    if (final.length === 0) return;
    await writeModelRows(
      this.db,
      final.flatMap((write) => (write.kind === 'upsert' ? [write.row] : [])),
      final.flatMap((write) => (write.kind === 'destroy' ? [{ model: write.model, id: write.id }] : [])),
    );
  }

  /** The flush and every held promise; rejects with the first failure once all have settled. */
  async settle(): Promise<void> {
    const results = await Promise.allSettled([this.flush(), ...this.held]);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private add(write: Write): void {
    assert.ok(this.writes.length < WRITES_PER_REQUEST_MAX, `more than ${WRITES_PER_REQUEST_MAX} buffered writes in one request`);
    this.writes.push(write);
  }
}

/** The request being answered, for everything that runs on its behalf (oidc-provider, our middleware after it). */
const currentRequest = new AsyncLocalStorage<RequestWrites>();

/** This request's buffer for `model`, when the model is buffered and the request runs under the middleware. */
export function bufferFor(model: string): RequestWrites | undefined {
  return BUFFERED_MODELS.has(model) ? currentRequestWrites() : undefined;
}

export function currentRequestWrites(): RequestWrites | undefined {
  return currentRequest.getStore();
}

/** Holds the current request's answer until `work` settles; false outside one (the caller handles it alone). */
export function holdAnswerFor(work: Promise<unknown>): boolean {
  const writes = currentRequestWrites();
  writes?.hold(work);
  return writes !== undefined;
}

/** oidc-provider middleware, outermost of the bank's: every request's rows and audit entries commit before its answer. */
export function commitBeforeAnswer(db: Db) {
  return async (_ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    const writes = new RequestWrites(db);
    try {
      await currentRequest.run(writes, next);
    } finally {
      await writes.settle();
    }
  };
}
