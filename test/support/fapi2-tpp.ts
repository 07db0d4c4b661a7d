// A FAPI 2.0 TPP as a real client would be written: openid-client over mTLS with its own certificate,
// plain parameters pushed (PAR), `code` with PKCE S256 and `iss` checked, its tokens bound to its
// certificate or to a DPoP key (openid-client's DPoP handle: proofs, server nonces and retries). A
// Message Signing TPP pushes a signed request object instead and reads JARM responses.
import * as client from 'openid-client';
import { generateKeyPair, importJWK, type GenerateKeyPairResult } from 'jose';
import type { Agent } from 'undici';
import type { TestBank } from './bank.ts';
import { CustomerBrowser } from './browser.ts';
import { endpointsOf, loginAndConsent, mtlsAgent, type TestTpp, viaAgent } from './tpp.ts';

/** The conformance suite's `openid` variant: OpenID Connect (id_token) or plain OAuth (no `openid`, RFC 8414 metadata). */
export type OpenIdVariant = 'openid_connect' | 'plain_oauth';

export interface Customer {
  loginId: string;
  password: string;
}

export class Fapi2Tpp {
  private constructor(
    readonly bank: TestBank,
    readonly registered: TestTpp['registered'],
    readonly config: client.Configuration,
    readonly agent: Agent,
    /** The DPoP key pair of a DPoP client (its access tokens are bound to it); undefined for an mTLS client. */
    readonly dpopKeys: GenerateKeyPairResult | undefined,
    private readonly dpop: client.DPoPHandle | undefined,
    /** The request-object signing key of a Message Signing TPP (it registered require_signed_request_object). */
    private readonly requestSigningKey: client.CryptoKey | undefined,
  ) {}

  /** Reads the bank's metadata where the variant's client would: OpenID discovery or RFC 8414. */
  static async create(bank: TestBank, registered: TestTpp['registered'], variant: OpenIdVariant): Promise<Fapi2Tpp> {
    const agent = mtlsAgent(bank, registered);
    const signingKey = (await importJWK(registered.signingKey, 'PS256')) as client.CryptoKey;
    const auth = registered.metadata.token_endpoint_auth_method === 'private_key_jwt' ? client.PrivateKeyJwt(signingKey) : client.TlsClientAuth();
    const config = await client.discovery(new URL(bank.config.browser.publicUrl), registered.clientId, { use_mtls_endpoint_aliases: true }, auth, {
      [client.customFetch]: viaAgent(agent),
      algorithm: variant === 'plain_oauth' ? 'oauth2' : 'oidc',
    });
    const dpopKeys = registered.metadata.dpop_bound_access_tokens === true ? await generateKeyPair('ES256') : undefined;
    const messageSigning = registered.metadata.require_signed_request_object === true;
    if (messageSigning) client.useJwtResponseMode(config);
    return new Fapi2Tpp(bank, registered, config, agent, dpopKeys, dpopKeys && client.getDPoPHandle(config, dpopKeys), messageSigning ? signingKey : undefined);
  }

  get redirectUri(): string {
    return (this.registered.metadata.redirect_uris as string[])[0]!;
  }

  /**
   * The pushed authorization request of a linking (or, with RFC 9396 `authorizationDetails`, of an
   * approval): what the customer's browser then opens. `scope` is without `openid`, which the variant adds.
   */
  async authorizationUrl(variant: OpenIdVariant, request: { scope?: string; authorizationDetails?: object[] } = {}): Promise<{ url: URL; checks: client.AuthorizationCodeGrantChecks }> {
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = variant === 'openid_connect' ? client.randomNonce() : undefined;
    const scopes = [...(variant === 'openid_connect' ? ['openid'] : []), ...(request.scope ?? 'accounts').split(' ').filter((scope) => scope !== '')];
    const params: Record<string, string> = {
      redirect_uri: this.redirectUri,
      ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
      state,
      ...(nonce ? { nonce } : {}),
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      ...(request.authorizationDetails ? { authorization_details: JSON.stringify(request.authorizationDetails) } : {}),
      // Message Signing: the response comes back signed (JARM), which openid-client then verifies.
      ...(this.requestSigningKey ? { response_mode: 'jwt' } : {}),
    };
    // Message Signing: every parameter inside a request object signed with the TPP's key, pushed.
    const pushed = this.requestSigningKey ? (await client.buildAuthorizationUrlWithJAR(this.config, params, this.requestSigningKey)).searchParams : params;
    const url = await client.buildAuthorizationUrlWithPAR(this.config, pushed, this.dpopOptions());
    return { url, checks: { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: variant === 'openid_connect' } };
  }

  /** The whole linking: PAR, customer login and consent, code exchange (iss, state, PKCE checked by openid-client). */
  async link(variant: OpenIdVariant, customer: Customer, scope?: string): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers> {
    const { url, checks } = await this.authorizationUrl(variant, scope === undefined ? {} : { scope });
    const browser = new CustomerBrowser(endpointsOf(this.bank).caCertificatePem, this.redirectUri);
    try {
      return await this.redeem(await loginAndConsent(browser, url.href, customer), checks);
    } finally {
      await browser.close();
    }
  }

  /** The code exchange at the redirect URI the bank sent the browser to. */
  redeem(tppUrl: string, checks: client.AuthorizationCodeGrantChecks): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers> {
    return client.authorizationCodeGrant(this.config, new URL(tppUrl), checks, undefined, this.dpopOptions());
  }

  /** A bank API call as openid-client makes it: Bearer over mTLS, or DPoP with a fresh proof. */
  async api(path: string, accessToken: string): Promise<{ status: number; body: any }> {
    return this.call('GET', path, accessToken);
  }

  /** Any bank API call, a JSON body for a POST. */
  async call(method: string, path: string, accessToken: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const url = new URL(`${this.bank.config.mtls.publicUrl}/api/v1${path}`);
    const requestHeaders = new Headers({ accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers });
    let response: Response;
    try {
      response = await client.fetchProtectedResource(this.config, accessToken, url, method, body === undefined ? undefined : JSON.stringify(body), requestHeaders, this.dpopOptions());
    } catch (error) {
      // openid-client throws on a 401/403 challenge (after its one DPoP nonce retry); the test wants the answer.
      if (!(error instanceof client.WWWAuthenticateChallengeError)) throw error;
      response = error.response;
    }
    return { status: response.status, body: await response.json() };
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private dpopOptions(): client.DPoPOptions | undefined {
    return this.dpop ? { DPoP: this.dpop } : undefined;
  }
}
