// Passkeys (WebAuthn, with @simplewebauthn/server): enrolment from the customer's page, discoverable login at
// the linking, and the second factor of a transfer approval. Each ceremony's challenge is stored under what it
// is for (`binding`: an interaction, a session) and consumed by the first answer, so it works once and on any
// node. Only user-verifying authenticators are accepted: a passkey alone is two factors.
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type WebAuthnCredential,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Db } from '../store/db.ts';
import type { Customer } from '../bank/customers.ts';

/** The relying party: the bank's browser origin, and its host name as the WebAuthn RP ID. */
export interface PasskeyParty {
  origin: string;
  rpId: string;
  rpName: string;
}

export interface Passkey {
  credentialId: string;
  name: string;
  backedUp: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** What a verified passkey login yields. */
export interface PasskeyUse {
  customerId: string;
  backedUp: boolean;
}

/** Time to answer a ceremony; also the browser's timeout. */
const CHALLENGE_SECONDS = 300;
/** A customer keeps at most this many passkeys (phones, laptops, security keys). */
export const PASSKEYS_PER_CUSTOMER_MAX = 10;
/** A WebAuthn response longer than this is not one an authenticator sent. */
const RESPONSE_MAX_LENGTH = 16_384;
const PASSKEY_NAME_MAX_LENGTH = 64;
/** Challenges kept per binding (pages of one interaction or session shown and not yet answered). */
const CHALLENGES_PER_BINDING_MAX = 10;
/** The library's challenges are 32 random bytes in base64url. */
const CHALLENGE_MAX_LENGTH = 128;

export function passkeyPartyOf(publicUrl: string): PasskeyParty {
  const url = new URL(publicUrl);
  return { origin: url.origin, rpId: url.hostname, rpName: 'Ginko Bank' };
}

export async function passkeysOf(db: Db, customerId: string): Promise<Passkey[]> {
  const rows = await db
    .selectFrom('customer_passkeys')
    .select(['credential_id', 'name', 'backed_up', 'created_at', 'last_used_at'])
    .where('customer_id', '=', customerId)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({ credentialId: r.credential_id, name: r.name, backedUp: r.backed_up, createdAt: r.created_at, lastUsedAt: r.last_used_at }));
}

/** Removes one of the customer's passkeys; false when the customer has no such passkey. */
export async function removePasskey(db: Db, customerId: string, credentialId: string): Promise<boolean> {
  const { numDeletedRows } = await db.deleteFrom('customer_passkeys').where('customer_id', '=', customerId).where('credential_id', '=', credentialId).executeTakeFirst();
  return numDeletedRows === 1n;
}

/** Options for enrolling a new passkey; undefined when the customer already has the most allowed. */
export async function registrationOptions(db: Db, party: PasskeyParty, customer: Customer, binding: string, now: Date): Promise<PublicKeyCredentialCreationOptionsJSON | undefined> {
  const existing = await db.selectFrom('customer_passkeys').select(['credential_id', 'transports']).where('customer_id', '=', customer.customerId).execute();
  if (existing.length >= PASSKEYS_PER_CUSTOMER_MAX) return undefined;
  const options = await generateRegistrationOptions({
    rpName: party.rpName,
    rpID: party.rpId,
    userName: customer.loginId,
    userDisplayName: customer.name,
    // The user handle the authenticator returns at login: the customer id, which is no secret and no name.
    userID: new TextEncoder().encode(customer.customerId),
    timeout: CHALLENGE_SECONDS * 1000,
    attestationType: 'none',
    excludeCredentials: existing.map((row) => ({ id: row.credential_id, transports: transportsOf(row.transports) })),
    // Discoverable (the login asks for no login ID) and user-verifying.
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  });
  await storeChallenge(db, binding, options.challenge, customer.customerId, now);
  return options;
}

/** Verifies the authenticator's answer to `registrationOptions` and keeps the passkey; false when it does not verify. */
export async function enrolPasskey(db: Db, party: PasskeyParty, customerId: string, binding: string, responseText: string, name: string, now: Date): Promise<boolean> {
  const response = parseJsonObject(responseText) as RegistrationResponseJSON | undefined;
  const challenge = response && (await consumeChallenge(db, binding, response, now));
  if (!response || !challenge || challenge.customerId !== customerId) return false;
  let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verification = await verifyRegistrationResponse({ response, expectedChallenge: challenge.challenge, expectedOrigin: party.origin, expectedRPID: party.rpId, requireUserVerification: true });
  } catch {
    return false;
  }
  if (!verification.verified) return false;
  const { credential, credentialBackedUp } = verification.registrationInfo;
  const count = await db.selectFrom('customer_passkeys').select((eb) => eb.fn.countAll<string>().as('n')).where('customer_id', '=', customerId).executeTakeFirstOrThrow();
  if (Number(count.n) >= PASSKEYS_PER_CUSTOMER_MAX) return false;
  const { numInsertedOrUpdatedRows } = await db
    .insertInto('customer_passkeys')
    .values({
      credential_id: credential.id,
      customer_id: customerId,
      public_key: credential.publicKey,
      sign_count: credential.counter,
      transports: (credential.transports ?? []).join(' '),
      backed_up: credentialBackedUp,
      name: name.trim().slice(0, PASSKEY_NAME_MAX_LENGTH) || 'passkey',
    })
    .onConflict((oc) => oc.column('credential_id').doNothing())
    .executeTakeFirst();
  return numInsertedOrUpdatedRows === 1n;
}

/**
 * Options for a passkey login (any discoverable passkey of this bank) or, given a customer, for a passkey of
 * that customer only (a transfer approval); undefined when that customer has none.
 */
export async function authenticationOptions(db: Db, party: PasskeyParty, binding: string, customerId: string | undefined, now: Date): Promise<PublicKeyCredentialRequestOptionsJSON | undefined> {
  const allowed = customerId
    ? await db.selectFrom('customer_passkeys').select(['credential_id', 'transports']).where('customer_id', '=', customerId).execute()
    : [];
  if (customerId && allowed.length === 0) return undefined;
  const options = await generateAuthenticationOptions({
    rpID: party.rpId,
    timeout: CHALLENGE_SECONDS * 1000,
    userVerification: 'required',
    allowCredentials: allowed.map((row) => ({ id: row.credential_id, transports: transportsOf(row.transports) })),
  });
  await storeChallenge(db, binding, options.challenge, customerId ?? null, now);
  return options;
}

/**
 * The customer whose passkey signed the challenge stored under `binding`, user verified; undefined otherwise.
 * The signature counter only grows (a cloned authenticator that falls behind is refused).
 */
export async function verifyPasskey(db: Db, party: PasskeyParty, binding: string, responseText: string, now: Date): Promise<PasskeyUse | undefined> {
  const response = parseJsonObject(responseText) as AuthenticationResponseJSON | undefined;
  const challenge = response && (await consumeChallenge(db, binding, response, now));
  if (!response || !challenge || typeof response.id !== 'string') return undefined;
  const stored = await db.selectFrom('customer_passkeys').selectAll().where('credential_id', '=', response.id).executeTakeFirst();
  if (!stored || (challenge.customerId !== null && stored.customer_id !== challenge.customerId)) return undefined;
  let verification: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge.challenge,
      expectedOrigin: party.origin,
      expectedRPID: party.rpId,
      credential: { id: stored.credential_id, publicKey: new Uint8Array(stored.public_key), counter: stored.sign_count, transports: transportsOf(stored.transports) },
      requireUserVerification: true,
    });
  } catch {
    return undefined;
  }
  if (!verification.verified) return undefined;
  const { newCounter, credentialBackedUp } = verification.authenticationInfo;
  // Conditional on the counter read: two concurrent uses of one assertion cannot both pass.
  const { numUpdatedRows } = await db
    .updateTable('customer_passkeys')
    .set({ sign_count: newCounter, backed_up: credentialBackedUp, last_used_at: now })
    .where('credential_id', '=', stored.credential_id)
    .where('sign_count', '=', stored.sign_count)
    .executeTakeFirst();
  return numUpdatedRows === 1n ? { customerId: stored.customer_id, backedUp: credentialBackedUp } : undefined;
}

/**
 * Every page shown keeps its challenge working (a customer may go back to an earlier one), up to the newest
 * few per binding; lapsed challenges are swept here.
 */
async function storeChallenge(db: Db, binding: string, challenge: string, customerId: string | null, now: Date): Promise<void> {
  // One statement: one round trip and one commit for the page. Its parts see the table as it was before it.
  await db
    .with('swept', (qb) => qb.deleteFrom('passkey_challenges').where('expires_at', '<', now))
    .with('trimmed', (qb) =>
      qb
        .deleteFrom('passkey_challenges')
        .where('binding', '=', binding)
        .where('challenge', 'not in', qb.selectFrom('passkey_challenges').select('challenge').where('binding', '=', binding).orderBy('expires_at', 'desc').limit(CHALLENGES_PER_BINDING_MAX - 1)),
    )
    .insertInto('passkey_challenges')
    .values({ challenge, binding, customer_id: customerId, expires_at: new Date(now.getTime() + CHALLENGE_SECONDS * 1000) })
    .execute();
}

/** The challenge the answer signed, taken (so it works once) when it was handed out for `binding` and is live. */
async function consumeChallenge(db: Db, binding: string, response: { response?: { clientDataJSON?: unknown } }, now: Date): Promise<{ challenge: string; customerId: string | null } | undefined> {
  const challenge = challengeOf(response.response?.clientDataJSON);
  if (!challenge) return undefined;
  const row = await db
    .deleteFrom('passkey_challenges')
    .where('challenge', '=', challenge)
    .where('binding', '=', binding)
    .where('expires_at', '>', now)
    .returning(['challenge', 'customer_id'])
    .executeTakeFirst();
  return row && { challenge: row.challenge, customerId: row.customer_id };
}

/** The challenge in the browser's client data (the library checks the rest of it). */
function challengeOf(clientDataJSON: unknown): string | undefined {
  if (typeof clientDataJSON !== 'string') return undefined;
  const challenge = (parseJsonObject(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown } | undefined)?.challenge;
  return typeof challenge === 'string' && challenge.length <= CHALLENGE_MAX_LENGTH ? challenge : undefined;
}

function parseJsonObject(text: string): object | undefined {
  if (text.length === 0 || text.length > RESPONSE_MAX_LENGTH) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

type Transports = NonNullable<WebAuthnCredential['transports']>;

function transportsOf(stored: string): Transports {
  return stored.split(' ').filter(Boolean) as Transports;
}
