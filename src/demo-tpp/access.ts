// Calling the bank with the customer's link: refresh the access token when it is about to expire or the bank
// says it no longer works, and when the refresh token is refused too, the link is over (the customer revoked it
// at the bank, or it expired) — the demo forgets it and tells the customer.
import { AuthorizationRefused, type ApiResponse, type BankClient } from './bank-client.ts';
import { forgetLink, type DemoSession } from './sessions.ts';

/** The customer has no (longer a) link: the page shows the landing page with the session's notice. */
export class NotLinked extends Error {}

/** Refresh this long before the access token's expiry rather than have a call fail. */
const EXPIRY_MARGIN_MS = 30_000;

export async function callBank(client: BankClient, session: DemoSession, path: string, post?: { body: object; idempotencyKey: string }): Promise<ApiResponse> {
  const link = session.link;
  if (!link) throw new NotLinked();
  if (Date.now() > link.expiresAtMs - EXPIRY_MARGIN_MS) await refresh(client, session);
  let response = await client.api(path, session.link!.accessToken, post);
  if (response.status === 401) {
    // The token may have ended early (tokens are short-lived and revocable): one refresh, one retry.
    await refresh(client, session);
    response = await client.api(path, session.link!.accessToken, post);
    if (response.status === 401) return ended(session);
  }
  return response;
}

async function refresh(client: BankClient, session: DemoSession): Promise<void> {
  const link = session.link!;
  if (!link.refreshToken) return ended(session);
  try {
    session.link = { ...link, ...(await client.refresh(link.refreshToken)) };
  } catch (error) {
    if (error instanceof AuthorizationRefused) return ended(session);
    throw error;
  }
}

function ended(session: DemoSession): never {
  forgetLink(session, 'ended');
  throw new NotLinked();
}
