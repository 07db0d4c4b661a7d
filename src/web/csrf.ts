// Cross-site request forgery: every form on the browser listener carries a token in a hidden field that only the
// bank can compute, bound to what the form acts on (an interaction, a customer session, a login attempt). A
// page on another site can make the browser post, with its cookies, but cannot know the token.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { html, type Markup } from './html.ts';

/** The hidden field's name on every form. */
export const CSRF_FIELD = 'csrf';

/** The token a form bound to `binding` must carry: HMAC-SHA256 under the bank's first cookie key. */
export function csrfToken(cookieKeys: readonly string[], binding: string): string {
  return tokenUnder(cookieKeys[0]!, binding);
}

/** True when `candidate` is the token for `binding` under any cookie key (keys rotate: the first signs, all verify). */
export function csrfTokenMatches(cookieKeys: readonly string[], binding: string, candidate: unknown): boolean {
  if (typeof candidate !== 'string') return false;
  const given = Buffer.from(candidate);
  return cookieKeys.some((key) => {
    const expected = Buffer.from(tokenUnder(key, binding));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

export function csrfField(token: string): Markup {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;
}

function tokenUnder(key: string, binding: string): string {
  return createHmac('sha256', key).update(`csrf\0${binding}`).digest('base64url');
}
