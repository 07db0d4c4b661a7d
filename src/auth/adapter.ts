// Persistence of every oidc-provider model in the platform's database. Codes, tokens, sessions,
// interactions, grants and pushed requests live in `oidc_models`, so any node can serve any step of
// any flow; clients come from the TPP registry (`tpps`).
import assert from 'node:assert/strict';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import Provider, { errors } from 'oidc-provider';
import { sql, type CompiledQuery } from 'kysely';
import type { Db } from '../store/db.ts';
import { inTransaction } from '../store/in-transaction.ts';
import { preparedQuery } from '../store/prepared-statements.ts';
import { appendAudit } from '../security/audit-log.ts';
import { tppChangedTag, type ClientMetadataCache } from './client-cache.ts';
import { forgetGrant, leaveGrant, takeGrant } from './prefetched-grants.ts';
import { deleteModelRow, writeModelRow, type ModelRow } from './model-rows.ts';
import { bufferFor, currentRequestWrites } from './request-writes.ts';

/** Models whose rows are bound to a grant: revoking the grant deletes them (RFC 7009, code reuse). */
const GRANT_BOUND_MODELS = ['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'Grant'];

/** Ends a grant everywhere at once: its codes, tokens and the grant itself (also used by security policy). */
export async function revokeGrantModels(db: Db, grantId: string): Promise<void> {
  await db.deleteFrom('oidc_models').where('grant_id', '=', grantId).where('model', 'in', GRANT_BOUND_MODELS).execute();
}

/** Tokens oidc-provider loads, in a request, right before their grant: read together (prefetched-grants.ts). */
const LOADED_WITH_GRANT = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken']);

/**
 * A CIBA request outlives its expiry here for a while, so a TPP that polls after it lapsed is told
 * `expired_token` (CIBA §11; oidc-provider checks the expiry itself) rather than `invalid_grant`.
 */
const KEPT_AFTER_EXPIRY_SECONDS: Readonly<Record<string, number>> = { BackchannelAuthenticationRequest: 600 };

/** Ends every live grant of a TPP (deregistration, a breach): each consent revoked, its codes and tokens gone. Returns how many. */
export async function revokeTppGrants(db: Db, clientId: string): Promise<number> {
  return inTransaction(db, async (trx) => {
    const ended = await trx
      .updateTable('consents')
      .set({ revoked_at: sql<Date>`now()` })
      .where('client_id', '=', clientId)
      .where('revoked_at', 'is', null)
      .returning('grant_id')
      .execute();
    for (const { grant_id } of ended) await revokeGrantModels(trx, grant_id);
    return ended.length;
  });
}

export interface AdapterPolicy {
  /** Where a TPP registering itself (RFC 7591) lands, by the bank's policy. */
  newTppStatus: 'active' | 'suspended';
  /** Runs before a CIBA request is loaded: the poll interval (ciba/backchannel.ts). */
  beforeBackchannelRequestFind?: (authReqId: string) => Promise<void>;
  /** This node's copy of the active TPPs' metadata (client-cache.ts); without it every lookup reads the store. */
  clients?: ClientMetadataCache | undefined;
}

export function adapterFactory(db: Db, policy: AdapterPolicy): (model: string) => Adapter {
  return (model) => {
    if (model === 'Client') return new TppClientAdapter(db, policy.newTppStatus, policy.clients);
    return new ModelAdapter(db, model, model === 'BackchannelAuthenticationRequest' ? policy.beforeBackchannelRequestFind : undefined);
  };
}

class ModelAdapter implements Adapter {
  constructor(
    private readonly db: Db,
    private readonly model: string,
    private readonly beforeFind?: (id: string) => Promise<void>,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresInSeconds?: number): Promise<void> {
    if (this.model === 'Grant') forgetGrant(id);
    const keptSeconds = expiresInSeconds ? expiresInSeconds + (KEPT_AFTER_EXPIRY_SECONDS[this.model] ?? 0) : undefined;
    const expiresAt = keptSeconds ? new Date(Date.now() + keptSeconds * 1000) : null;
    const row: ModelRow = {
      model: this.model,
      id,
      payload: JSON.stringify(payload),
      grant_id: payload.grantId ?? null,
      uid: payload.uid ?? null,
      user_code: payload.userCode ?? null,
      expires_at: expiresAt,
    };
    const buffer = bufferFor(this.model);
    if (buffer) buffer.upsert(row);
    else await writeModelRow(this.db, row);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    await this.beforeFind?.(id);
    const buffered = bufferFor(this.model)?.lookup(this.model, id);
    if (buffered?.known) return buffered.payload;
    if (this.model === 'Grant') {
      const taken = takeGrant(id);
      if (taken.found) return taken.grant;
    }
    if (LOADED_WITH_GRANT.has(this.model) && Provider.ctx) return this.findWithGrant(id);
    return this.findBy('id', id);
  }

  /** The token and its live grant in one statement; the grant is left for this request's `Grant.find`. */
  private async findWithGrant(id: string): Promise<AdapterPayload | undefined> {
    const query = this.db
      .selectFrom('oidc_models as t')
      .leftJoin('oidc_models as g', (join) =>
        join
          .on('g.model', '=', 'Grant')
          .onRef('g.id', '=', 't.grant_id')
          .on((eb) => eb.or([eb('g.expires_at', 'is', null), eb('g.expires_at', '>', sql<Date>`now()`)])),
      )
      .select(['t.payload', 't.consumed_at', 't.grant_id', 'g.payload as grant_payload', 'g.consumed_at as grant_consumed_at'])
      .where('t.model', '=', this.model)
      .where('t.id', '=', id)
      .where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '>', sql<Date>`now()`)]))
      .compile();
    const row = await firstRow(this.db, query);
    if (!row) return undefined;
    if (row.grant_id) leaveGrant(row.grant_id, row.grant_payload ? withConsumed(row.grant_payload as AdapterPayload, row.grant_consumed_at) : undefined);
    return withConsumed(row.payload as AdapterPayload, row.consumed_at);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    await this.flushWritesOfThisModel();
    return this.findBy('uid', uid);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    await this.flushWritesOfThisModel();
    return this.findBy('user_code', userCode);
  }

  /** Lookups by anything but the id read the store: what this request buffered for the model goes there first. */
  private async flushWritesOfThisModel(): Promise<void> {
    const buffer = bufferFor(this.model);
    if (buffer?.touches(this.model)) await buffer.flush();
  }

  private async findBy(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
    const query = this.db
      .selectFrom('oidc_models')
      .select(['payload', 'consumed_at'])
      .where('model', '=', this.model)
      .where(column, '=', value)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
      .compile();
    const row = await firstRow(this.db, query);
    return row ? withConsumed(row.payload as AdapterPayload, row.consumed_at) : undefined;
  }

  /**
   * Atomic single use: only the first consume of a row succeeds. oidc-provider checks `consumed`
   * before calling this, but two concurrent redemptions of one code can both pass that check; the
   * loser lands here, and is treated exactly like a sequential reuse: the grant's tokens are revoked.
   */
  async consume(id: string): Promise<void> {
    // The single use is decided by the store: a row this request wrote is committed first.
    const buffer = bufferFor(this.model);
    if (buffer?.lookup(this.model, id).known) await buffer.flush();
    const consumed = await firstRow(
      this.db,
      this.db
        .updateTable('oidc_models')
        .set({ consumed_at: sql<Date>`now()` })
        .where('model', '=', this.model)
        .where('id', '=', id)
        .where('consumed_at', 'is', null)
        .returning('grant_id')
        .compile(),
    );
    if (consumed) return;
    const row = await this.db.selectFrom('oidc_models').select('grant_id').where('model', '=', this.model).where('id', '=', id).executeTakeFirst();
    if (row?.grant_id) await this.revokeByGrantId(row.grant_id);
    throw new errors.InvalidGrant(`${this.model} already consumed`);
  }

  async destroy(id: string): Promise<void> {
    if (this.model === 'Grant') forgetGrant(id);
    const buffer = bufferFor(this.model);
    if (buffer) buffer.destroy(this.model, id);
    else await deleteModelRow(this.db, this.model, id);
  }

  /** Called once per model by oidc-provider; deleting every bound model at once is idempotent. */
  revokeByGrantId(grantId: string): Promise<void> {
    forgetGrant(grantId);
    currentRequestWrites()?.dropGrant(grantId);
    return revokeGrantModels(this.db, grantId);
  }
}

/**
 * Clients are TPPs in the registry; a suspended TPP is unknown to the authorization server. Dynamic
 * registration (tpp/registration.ts) writes here too: a new client is a new TPP with the policy's
 * status, an update replaces its metadata, and a deletion deregisters it (the row stays, since its
 * consents and audit entries name it) and ends its consents and tokens at once.
 */
class TppClientAdapter implements Adapter {
  constructor(
    private readonly db: Db,
    private readonly newTppStatus: 'active' | 'suspended',
    private readonly cache: ClientMetadataCache | undefined,
  ) {}

  async find(clientId: string): Promise<AdapterPayload | undefined> {
    const cached = this.cache?.lookup(clientId, Date.now());
    // A copy each time: oidc-provider owns what it is given, and the kept metadata stays as the store said.
    if (cached) return { ...structuredClone(cached), client_id: clientId } as AdapterPayload;
    const epoch = this.cache?.epoch;
    const tpp = await this.db
      .selectFrom('tpps')
      .select('metadata')
      .where('client_id', '=', clientId)
      .where('status', '=', 'active')
      .executeTakeFirst();
    if (!tpp) return undefined;
    if (epoch !== undefined) this.cache?.remember(clientId, structuredClone(tpp.metadata), epoch, Date.now());
    return { ...tpp.metadata, client_id: clientId } as AdapterPayload;
  }

  /** A registration (RFC 7591) or its update (RFC 7592), audited in the same transaction. */
  async upsert(clientId: string, payload: AdapterPayload): Promise<void> {
    const { client_id: _id, ...metadata } = payload;
    const row = {
      name: String(metadata.client_name),
      registration_number: typeof metadata.org_registration_number === 'string' ? metadata.org_registration_number : null,
      metadata: JSON.stringify(metadata),
    };
    const softwareId = typeof metadata.software_id === 'string' ? metadata.software_id : undefined;
    await inTransaction(this.db, async (trx) => {
      // The TPP row before the audit chain's head: the lock order every writer keeps (security-events.ts).
      const existing = await trx.selectFrom('tpps').select('status').where('client_id', '=', clientId).forUpdate().executeTakeFirst();
      if (existing) {
        assert.notEqual(existing.status, 'deregistered', 'oidc-provider updates only clients it can find');
        await trx.updateTable('tpps').set(row).where('client_id', '=', clientId).execute();
        await appendAudit(trx, 'tpp.registration_updated', { clientId, softwareId });
      } else {
        await trx.insertInto('tpps').values({ client_id: clientId, status: this.newTppStatus, ...row }).execute();
        await appendAudit(trx, 'tpp.registered', { clientId, softwareId, status: this.newTppStatus });
      }
    });
    // This node at once; the others by the row's notice.
    this.cache?.changed(tppChangedTag(clientId));
  }

  async destroy(clientId: string): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      await trx.updateTable('tpps').set({ status: 'deregistered' }).where('client_id', '=', clientId).execute();
      const grants = await revokeTppGrants(trx, clientId);
      await appendAudit(trx, 'tpp.deregistered', { clientId, grants });
    });
    this.cache?.changed(tppChangedTag(clientId));
  }

  findByUid(): Promise<undefined> {
    return unsupported();
  }
  findByUserCode(): Promise<undefined> {
    return unsupported();
  }
  consume(): Promise<void> {
    return unsupported();
  }
  revokeByGrantId(): Promise<void> {
    return Promise.resolve();
  }
}

/** The first row of a statement every request of a flow makes: prepared once per connection (store/prepared-statements.ts). */
async function firstRow<R>(db: Db, query: CompiledQuery<R>): Promise<R | undefined> {
  return (await db.executeQuery(preparedQuery(query))).rows[0];
}

/** oidc-provider reads a used code or token from its payload's `consumed` (epoch seconds). */
function withConsumed(payload: AdapterPayload, consumedAt: Date | null): AdapterPayload {
  return consumedAt ? { ...payload, consumed: Math.floor(consumedAt.getTime() / 1000) } : payload;
}

function unsupported(): never {
  throw new Error('TPP clients are looked up by client id only');
}
