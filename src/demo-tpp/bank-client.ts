// The demo's OAuth and API client: openid-client as a FAPI 1.0 Advanced client. Each authorization is a pushed
// authorization request (PAR) carrying a signed request object (JAR), the client authenticates with
// private_key_jwt over mutual TLS, PKCE (S256) binds the code to this server, and the response comes back as a
// signed JARM response (response_mode=jwt) which openid-client verifies (signature, iss, aud, exp, state)
// before it redeems the code. Tokens are bound to the client certificate, so every API call uses it too.
import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import { importJWK } from 'jose';
import type { DemoTppCredentials } from './credentials.ts';
import { mtlsFetch } from './mtls-fetch.ts';

/** What the demo keeps between sending the customer to the bank and their coming back (server-side). */
export interface PendingAuthorization {
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface Tokens {
  accessToken: string;
  refreshToken: string | undefined;
  /** When the access token stops working (ms since the epoch); refreshed a little before. */
  expiresAtMs: number;
}

export interface ApiResponse {
  status: number;
  body: any;
}

/** The bank refused the authorization (the customer said no, or the request was wrong): OAuth error code. */
export class AuthorizationRefused extends Error {
  constructor(readonly error: string) {
    super(`the bank answered ${error}`);
  }
}

export class BankClient {
  private constructor(
    private readonly config: oidc.Configuration,
    private readonly signingKey: oidc.CryptoKey,
    private readonly credentials: DemoTppCredentials,
    private readonly transport: ReturnType<typeof mtlsFetch>,
  ) {}

  static async connect(credentials: DemoTppCredentials): Promise<BankClient> {
    const transport = mtlsFetch(credentials);
    const signingKey = (await importJWK(credentials.signingKey, 'PS256')) as oidc.CryptoKey;
    const config = await oidc.discovery(
      new URL(credentials.issuer),
      credentials.clientId,
      {
        // RFC 8705 §5: token, PAR and revocation on the bank's mTLS listener.
        use_mtls_endpoint_aliases: true,
        id_token_signed_response_alg: 'PS256',
        authorization_signed_response_alg: 'PS256',
      },
      oidc.PrivateKeyJwt(signingKey),
      { [oidc.customFetch]: transport.fetch as oidc.CustomFetch },
    );
    // response_type=code with response_mode=jwt (JARM), one of FAPI 1.0 Advanced's two choices.
    oidc.useJwtResponseMode(config);
    return new BankClient(config, signingKey, credentials, transport);
  }

  /**
   * The URL to send the customer's browser to. `authorizationDetails` (RFC 9396) asks for a transfer approval
   * instead of account access. `uiLocales` asks the bank to show its pages in the app's language.
   */
  async authorizationUrl(input: { scope: string; uiLocales: string; authorizationDetails?: object[] }): Promise<{ url: URL; pending: PendingAuthorization }> {
    const pending = { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
    const scopes = input.scope.split(' ');
    const parameters: Record<string, string> = {
      redirect_uri: this.credentials.redirectUris[0]!,
      scope: input.scope,
      // OpenID Connect Core §11: offline_access (a refresh token) is granted only with prompt=consent.
      ...(scopes.includes('offline_access') ? { prompt: 'consent' } : {}),
      response_type: 'code',
      response_mode: 'jwt',
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
      ui_locales: input.uiLocales,
      ...(input.authorizationDetails ? { authorization_details: JSON.stringify(input.authorizationDetails) } : {}),
    };
    // Every parameter goes into the signed request object; PAR pushes it over mTLS and returns a request_uri.
    const signed = await oidc.buildAuthorizationUrlWithJAR(this.config, parameters, this.signingKey);
    const url = await oidc.buildAuthorizationUrlWithPAR(this.config, signed.searchParams);
    return { url, pending };
  }

  /** The customer is back at the redirect URI: verify the JARM response and redeem the code. */
  async finishAuthorization(callbackUrl: URL, pending: PendingAuthorization): Promise<Tokens> {
    try {
      const response = await oidc.authorizationCodeGrant(this.config, callbackUrl, {
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        pkceCodeVerifier: pending.codeVerifier,
        idTokenExpected: true,
      });
      return tokensOf(response);
    } catch (error) {
      if (error instanceof oidc.AuthorizationResponseError) throw new AuthorizationRefused(error.error);
      throw error;
    }
  }

  /** A new access token; AuthorizationRefused when the bank no longer honours the refresh token. */
  async refresh(refreshToken: string): Promise<Tokens> {
    try {
      const response = await oidc.refreshTokenGrant(this.config, refreshToken);
      return { ...tokensOf(response), refreshToken: response.refresh_token ?? refreshToken };
    } catch (error) {
      if (error instanceof oidc.ResponseBodyError) throw new AuthorizationRefused(error.error);
      throw error;
    }
  }

  /** Tells the bank the demo gives up the grant (RFC 7009). */
  revoke(token: string): Promise<void> {
    return oidc.tokenRevocation(this.config, token);
  }

  /** A bank API call with the access token, over the demo's mTLS connection. */
  async api(path: string, accessToken: string, post?: { body: object; idempotencyKey?: string }): Promise<ApiResponse> {
    const response = await this.transport.fetch(`${this.credentials.apiBaseUrl}${path}`, {
      method: post ? 'POST' : 'GET',
      headers: {
        authorization: `Bearer ${accessToken}`,
        accept: 'application/json',
        // FAPI 1.0 Baseline 6.2.2: lets the bank's logs and ours name the same call.
        'x-fapi-interaction-id': randomUUID(),
        ...(post ? { 'content-type': 'application/json' } : {}),
        // The transfer APIs require it; a retried request with the same key is not a second transfer.
        ...(post?.idempotencyKey ? { 'x-idempotency-key': post.idempotencyKey } : {}),
      },
      body: post ? JSON.stringify(post.body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  close(): void {
    this.transport.close();
  }
}

function tokensOf(response: oidc.TokenEndpointResponse): Tokens {
  return { accessToken: response.access_token, refreshToken: response.refresh_token, expiresAtMs: Date.now() + (response.expires_in ?? 60) * 1000 };
}
