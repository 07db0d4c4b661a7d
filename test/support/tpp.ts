// A TPP as a real FAPI 1.0 Advanced client would be written: openid-client over mTLS with its own
// certificate, signed request objects (by value or pushed), `code id_token` or JARM.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as client from 'openid-client';
import { importJWK, type JWK } from 'jose';
import { Agent, fetch as undiciFetch } from 'undici';
import type { RegisteredTpp } from '../../src/tpp/registry.ts';
import type { TestBank } from './bank.ts';
import { CustomerBrowser, type Page } from './browser.ts';
import { logIn } from './passkeys.ts';

export type RequestMethod = 'by_value' | 'par';
export type ResponseMode = 'code_id_token' | 'jarm';

export interface Variant {
  requestMethod: RequestMethod;
  responseMode: ResponseMode;
}

export interface LinkOptions extends Variant {
  loginId: string;
  password: string;
  /** Which of the customer's accounts to tick on the consent page (by position); default the first. */
  accountIndexes?: number[];
  scope?: string;
}

/** Where a TPP finds the bank: what `client.json` and `ca.crt` of a registration folder hold. */
export interface BankEndpoints {
  issuer: string;
  /** Origin of the mTLS listener (token endpoint aliases and the bank APIs). */
  mtlsUrl: string;
  caCertificatePem: string;
}

export function endpointsOf(target: TestBank | BankEndpoints): BankEndpoints {
  if (!('pki' in target)) return target;
  return { issuer: target.config.browser.publicUrl, mtlsUrl: target.config.mtls.publicUrl, caCertificatePem: target.pki.caCertificatePem };
}

export interface Tokens {
  accessToken: string;
  refreshToken: string | undefined;
  idTokenClaims: client.IDToken | undefined;
}

export class TestTpp {
  readonly agent: Agent;

  private constructor(
    readonly endpoints: BankEndpoints,
    readonly registered: Pick<RegisteredTpp, 'clientId' | 'metadata' | 'signingKey' | 'certificatePem' | 'privateKeyPem'>,
    readonly config: client.Configuration,
    private readonly auth: client.ClientAuth,
    private readonly signingKey: client.CryptoKey,
    agent: Agent,
  ) {
    this.agent = agent;
  }

  static async create(
    target: TestBank | BankEndpoints,
    registered: Pick<RegisteredTpp, 'clientId' | 'metadata' | 'signingKey' | 'certificatePem' | 'privateKeyPem'>,
    certificate?: { certificatePem: string; privateKeyPem: string },
  ): Promise<TestTpp> {
    const endpoints = endpointsOf(target);
    const agent = mtlsAgent(endpoints, certificate ?? registered);
    const auth = registered.metadata.token_endpoint_auth_method === 'private_key_jwt' ? client.PrivateKeyJwt(await privateKey(registered.signingKey)) : client.TlsClientAuth();
    const config = await client.discovery(
      new URL(endpoints.issuer),
      registered.clientId,
      { use_mtls_endpoint_aliases: true, id_token_signed_response_alg: 'PS256', authorization_signed_response_alg: 'PS256' },
      auth,
      { [client.customFetch]: viaAgent(agent) },
    );
    return new TestTpp(endpoints, registered, config, auth, await privateKey(registered.signingKey), agent);
  }

  /** The TPP's first registered redirect URI: where the bank sends the customer back. */
  get redirectUri(): string {
    return (this.registered.metadata.redirect_uris as string[])[0]!;
  }

  /** The full linking flow: authorization request, customer login and consent, code exchange. */
  async link(options: LinkOptions): Promise<Tokens> {
    const browser = new CustomerBrowser(this.endpoints.caCertificatePem, this.redirectUri);
    try {
      const { url, checks } = await this.authorizationUrl(options);
      const tppUrl = await loginAndConsent(browser, url.href, options);
      return await this.redeem(tppUrl, checks, options);
    } finally {
      await browser.close();
    }
  }

  /** `claims`: the OpenID Connect claims parameter (e.g. an essential `acr`), in the request object. */
  async authorizationUrl(variant: Variant & { scope?: string; authorizationDetails?: object[]; claims?: object }): Promise<{ url: URL; checks: { state: string; nonce: string; codeVerifier: string } }> {
    const config = this.configFor(variant.responseMode);
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const scope = variant.scope ?? 'openid accounts offline_access';
    const params: Record<string, string> = {
      redirect_uri: this.redirectUri,
      scope,
      // OpenID Connect Core §11: offline_access is granted only with prompt=consent.
      ...(scope.split(' ').includes('offline_access') ? { prompt: 'consent' } : {}),
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      response_type: variant.responseMode === 'jarm' ? 'code' : 'code id_token',
      ...(variant.responseMode === 'jarm' ? { response_mode: 'jwt' } : {}),
      // RFC 9396; openid-client puts it into the request object as a JSON array.
      ...(variant.authorizationDetails ? { authorization_details: JSON.stringify(variant.authorizationDetails) } : {}),
      ...(variant.claims ? { claims: JSON.stringify(variant.claims) } : {}),
    };
    const jar = await client.buildAuthorizationUrlWithJAR(config, params, this.signingKey);
    const url = variant.requestMethod === 'par' ? await client.buildAuthorizationUrlWithPAR(config, jar.searchParams) : jar;
    return { url, checks: { state, nonce, codeVerifier } };
  }

  async redeem(tppUrl: string, checks: { state: string; nonce: string; codeVerifier: string }, variant: Variant): Promise<Tokens> {
    const config = this.configFor(variant.responseMode);
    const response = await client.authorizationCodeGrant(config, new URL(tppUrl), {
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      pkceCodeVerifier: checks.codeVerifier,
      idTokenExpected: true,
    });
    return { accessToken: response.access_token, refreshToken: response.refresh_token, idTokenClaims: response.claims() };
  }

  async refresh(refreshToken: string): Promise<Tokens> {
    const response = await client.refreshTokenGrant(this.config, refreshToken);
    return { accessToken: response.access_token, refreshToken: response.refresh_token ?? refreshToken, idTokenClaims: response.claims() };
  }

  revoke(token: string): Promise<void> {
    return client.tokenRevocation(this.config, token);
  }

  /** Calls a bank API with the access token in the Authorization header, over this TPP's mTLS connection. */
  async api(path: string, accessToken: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any }> {
    const response = await undiciFetch(`${this.endpoints.mtlsUrl}/api/v1${path}`, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json', ...headers },
      dispatcher: this.agent,
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers as unknown as Headers, body: text ? JSON.parse(text) : undefined };
  }

  /** POSTs a JSON body to a bank API, like api() otherwise. */
  async post(path: string, accessToken: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any }> {
    const response = await undiciFetch(`${this.endpoints.mtlsUrl}/api/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json', 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      dispatcher: this.agent,
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers as unknown as Headers, body: text ? JSON.parse(text) : undefined };
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  /** openid-client fixes the response type per Configuration, so each mode gets its own copy. */
  private configFor(responseMode: ResponseMode): client.Configuration {
    const config = new client.Configuration(this.config.serverMetadata(), this.registered.clientId, this.config.clientMetadata(), this.auth);
    config[client.customFetch] = this.config[client.customFetch]!;
    if (responseMode === 'jarm') client.useJwtResponseMode(config);
    else client.useCodeIdTokenResponseType(config);
    return config;
  }
}

/**
 * Logs in as the customer (with their passkey, enrolled on first use: test/support/passkeys.ts) and approves
 * the consent, as a customer clicking through would.
 */
export async function loginAndConsent(browser: CustomerBrowser, authorizationUrl: string, options: { loginId: string; password: string; accountIndexes?: number[] }): Promise<string> {
  const login = expectPage(await browser.open(authorizationUrl), 'login');
  const consent = expectPage(await logIn(browser, login, options), 'consent');
  const accountIds = browser
    .form(consent, '/consent')
    .fields.filter((f) => f.name === 'accountId')
    .map((f) => f.value);
  const chosen = (options.accountIndexes ?? [0]).map((i) => accountIds[i]!);
  const done = await browser.submit(consent, '/consent', { accountId: chosen });
  if (!('tppUrl' in done)) throw new Error(`consent did not return to the TPP: ${done.status}\n${done.html}`);
  return done.tppUrl;
}

export function expectPage(result: Page | { tppUrl: string }, what: string): Page {
  if ('tppUrl' in result) throw new Error(`expected the ${what} page, but was sent to the TPP: ${result.tppUrl}`);
  return result;
}

export function mtlsAgent(target: TestBank | BankEndpoints, certificate: { certificatePem: string; privateKeyPem: string } | undefined): Agent {
  return new Agent({ connect: { ca: endpointsOf(target).caCertificatePem, ...(certificate ? { cert: certificate.certificatePem, key: certificate.privateKeyPem } : {}) } });
}

export function viaAgent(agent: Agent): client.CustomFetch {
  return ((url: string, options: client.CustomFetchOptions) =>
    undiciFetch(url, { ...(options as object), dispatcher: agent } as never) as unknown as Promise<Response>) as client.CustomFetch;
}

async function privateKey(jwk: JWK): Promise<client.CryptoKey> {
  return (await importJWK(jwk, jwk.alg ?? 'PS256')) as client.CryptoKey;
}

/** The TPP from nothing but its `ginko client create` folder, as the README tells a TPP to. */
export async function tppFromFolder(dir: string): Promise<TestTpp> {
  const client = JSON.parse(readFileSync(join(dir, 'client.json'), 'utf8'));
  const file = (name: string) => readFileSync(join(dir, client.files[name]), 'utf8');
  return TestTpp.create(
    { issuer: client.issuer, mtlsUrl: new URL(client.api_base_url).origin, caCertificatePem: file('ca_certificate') },
    {
      clientId: client.client_id,
      metadata: { redirect_uris: client.redirect_uris, token_endpoint_auth_method: client.token_endpoint_auth_method },
      signingKey: JSON.parse(file('signing_key')),
      certificatePem: file('certificate'),
      privateKeyPem: file('certificate_key'),
    },
  );
}
