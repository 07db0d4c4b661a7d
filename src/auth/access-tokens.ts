// The resource server's view of an access token, read from the same store the authorization server
// writes: a revoked grant or token is refused on the very next request, on any node.
import type Provider from 'oidc-provider';
import type { AccessTokenLookup, IssuedAccessToken } from '../api/access.ts';

/** Longest token value worth looking up; ours are 43 characters. */
const MAX_TOKEN_LENGTH = 256;

export function accessTokenLookup(provider: Provider): AccessTokenLookup {
  return {
    async find(value: string): Promise<IssuedAccessToken | undefined> {
      if (value.length === 0 || value.length > MAX_TOKEN_LENGTH) return undefined;
      const token = await provider.AccessToken.find(value);
      if (!token || token.isExpired || !token.grantId || !token.accountId || !token.clientId) return undefined;
      // The grant is gone once anyone revokes it (customer, operator, code reuse, RFC 7009).
      const grant = await provider.Grant.find(token.grantId);
      if (!grant || grant.isExpired) return undefined;
      return {
        clientId: token.clientId,
        customerId: token.accountId,
        grantId: token.grantId,
        scopes: token.scopes,
        certificateThumbprint: token['x5t#S256'],
        dpopKeyThumbprint: token.jkt,
        expiresAt: new Date(Math.min(token.exp ?? 0, grant.exp ?? Infinity) * 1000),
      };
    },
  };
}
