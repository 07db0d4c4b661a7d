// Getting started, for a TPP's developer: the README's path from registration to the first API call,
// with this bank's own URLs filled in.
import { DISCOVERY_PATH, MTLS_ENDPOINTS } from '../auth/routes.ts';
import { html, type Markup } from '../web/html.ts';

export interface GuideInput {
  issuer: string;
  mtlsPublicUrl: string;
  apiBaseUrl: string;
  /** A demo customer to link with, when the bank holds the demo data. */
  demoLogin: { loginId: string; password: string } | undefined;
}

export function renderGuide({ issuer, mtlsPublicUrl, apiBaseUrl, demoLogin }: GuideInput): Markup {
  return html`<h2 id="getting-started">Getting started</h2>
<ol>
<li><p><strong>Register.</strong> In the sandbox, with the bank running:</p>
<pre>npx ginko client create --name "Kakeibo" --redirect-uri https://localhost:3000/callback \\
  --auth private_key_jwt --out ./my-tpp</pre>
<p>The folder receives <code>client.json</code> (your <code>client_id</code> and the bank's URLs),
<code>signing-key.jwk.json</code> (your PS256 key for request objects and client assertions),
<code>client.crt</code> and <code>client.key</code> (your mTLS certificate) and <code>ca.crt</code> (trust it for the
bank's server certificate). <code>--auth</code> may also be <code>tls_client_auth</code> or
<code>self_signed_tls_client_auth</code>.</p></li>
<li><p><strong>Discover.</strong> The issuer is <code>${issuer}</code>; its metadata is at
<a href="${issuer}${DISCOVERY_PATH}"><code>${issuer}${DISCOVERY_PATH}</code></a>. Everything your server calls —
${Object.values(MTLS_ENDPOINTS).map((path, i) => html`${i > 0 ? ', ' : ''}<code>${path}</code>`)} and the APIs —
is on <code>${mtlsPublicUrl}</code>, over mutual TLS with your certificate (also listed as
<code>mtls_endpoint_aliases</code>).</p></li>
<li><p><strong>Link a customer's account</strong> with any certified FAPI 1.0 Advanced client (openid-client v6
works): a request object signed PS256 or ES256 with <code>aud</code> the issuer, <code>exp</code> within 60 minutes of
<code>nbf</code>, and every parameter inside it; <code>nonce</code>; PKCE S256 (required with PAR);
<code>response_type=code id_token</code>, or <code>code</code> with <code>response_mode=jwt</code> (JARM); a redirect URI
exactly as registered; <code>scope=openid accounts</code>, plus <code>offline_access</code> and
<code>prompt=consent</code> for a refresh token. Push it to the PAR endpoint, send the customer's browser to the
authorization endpoint, and exchange the code at the token endpoint.
${demoLogin ? html`In the sandbox, log in as <code>${demoLogin.loginId}</code> / <code>${demoLogin.password}</code> with the one-time code of <code>npx ginko totp ${demoLogin.loginId}</code>.` : ''}</p></li>
<li><p><strong>Call the APIs</strong> under <code>${apiBaseUrl}</code> with <code>Authorization: Bearer &lt;access
token&gt;</code> over the same certificate the token is bound to. Send an <code>x-fapi-interaction-id</code> (a UUID)
to find your request in the bank's logs; it comes back on every response. Errors are
<code>{"errorCode": "E40101", "errorMessage": "…"}</code>; each operation below lists its answers.</p></li>
</ol>`;
}
