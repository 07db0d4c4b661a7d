// What the bank APIs need to know about a presented access token. The authorization server
// (src/auth) provides the lookup; the API guard (src/api/guard.ts) enforces it.

/** An access token as issued by our authorization server, reduced to what the resource server checks. */
export interface IssuedAccessToken {
  clientId: string;
  /** The customer (oidc-provider "accountId") who granted it. */
  customerId: string;
  /** The oidc-provider Grant id; the customer's consent (table `consents`) is stored under it. */
  grantId: string;
  scopes: ReadonlySet<string>;
  /** RFC 8705 `cnf.x5t#S256` the token is bound to; undefined only for an unbound token (never issued here). */
  certificateThumbprint: string | undefined;
  /** RFC 9449 `cnf.jkt`: the thumbprint of the DPoP key the token is bound to, for FAPI 2.0 DPoP clients. */
  dpopKeyThumbprint: string | undefined;
  /** When the token or its grant expires, whichever is first. */
  expiresAt: Date;
}

export interface AccessTokenLookup {
  /** The active token with this value, or undefined when unknown, expired, consumed or revoked. */
  find(token: string): Promise<IssuedAccessToken | undefined>;
}
