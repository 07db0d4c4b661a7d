// Every call the demo makes to the bank — discovery, PAR, token, the bank APIs — goes over TLS with the demo's
// own client certificate (FAPI 1.0 Advanced 5.2.2-5 / RFC 8705: tokens are bound to it, so an API call from
// any other connection is refused). A fetch() over node:https, because the global fetch cannot present one.
import { Agent, request } from 'node:https';

export interface ClientTls {
  /** The bank's CA (the sandbox's dev CA), to verify the bank's server certificate. */
  caCertificatePem: string;
  certificatePem: string;
  privateKeyPem: string;
}

export type MtlsFetch = (url: string, init?: { method?: string; headers?: Record<string, string> | Headers; body?: string | URLSearchParams | null; signal?: AbortSignal | null }) => Promise<Response>;

/** Nothing the bank sends the demo is this large; a bigger body is a fault, not data. */
const RESPONSE_BYTES_MAX = 5 * 1024 * 1024;
const TIMEOUT_MS = 15_000;

export function mtlsFetch(tls: ClientTls): { fetch: MtlsFetch; close(): void } {
  // One keep-alive agent: the TLS handshake with the certificate happens once per connection, not per call.
  const agent = new Agent({ keepAlive: true, maxSockets: 10, ca: tls.caCertificatePem, cert: tls.certificatePem, key: tls.privateKeyPem });
  const fetch: MtlsFetch = (url, init = {}) =>
    new Promise((resolve, reject) => {
      const headers = Object.fromEntries(new Headers(init.headers ?? {}).entries());
      const body = init.body === undefined || init.body === null ? undefined : String(init.body);
      const req = request(url, { method: init.method ?? 'GET', headers, agent, timeout: TIMEOUT_MS, signal: init.signal ?? undefined }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > RESPONSE_BYTES_MAX) return req.destroy(new Error(`the bank's response from ${url} exceeds ${RESPONSE_BYTES_MAX} bytes`));
          chunks.push(chunk);
        });
        res.on('end', () => {
          const status = res.statusCode ?? 502;
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) responseHeaders.append(name, v);
          }
          // A Response may not carry a body with these statuses.
          const nullBody = status === 204 || status === 304;
          resolve(new Response(nullBody ? null : Buffer.concat(chunks), { status, headers: responseHeaders }));
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`the bank did not answer ${url} within ${TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  return { fetch, close: () => agent.destroy() };
}
