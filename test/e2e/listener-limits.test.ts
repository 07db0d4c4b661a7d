// The listeners' own limits, set small through the configuration (GINKO_HTTP_*) and met as a client
// would meet them: a body over the limit (413), headers over the limit (431), a connection beyond the
// cap (closed at once, and let in again once one closes), a request that never finishes its headers
// or body (cut), and an idle kept-alive connection (closed).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import { fetch, type Agent } from 'undici';
import { startTestBank, type TestBank } from '../support/bank.ts';
import { mtlsAgent } from '../support/tpp.ts';

const BODY_BYTES = 2048;
const HEADER_BYTES = 4096;
const MAX_CONNECTIONS = 3;
const TIMEOUT_SECONDS = 1;

let bank: TestBank;
let agent: Agent;

before(async () => {
  bank = await startTestBank({
    GINKO_HTTP_BODY_BYTES: String(BODY_BYTES),
    GINKO_HTTP_HEADER_BYTES: String(HEADER_BYTES),
    GINKO_HTTP_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
    GINKO_HTTP_REQUEST_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
    GINKO_HTTP_HEADERS_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
    GINKO_HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
  });
  agent = mtlsAgent(bank, undefined);
});

after(async () => {
  await agent?.close();
  await bank?.stop();
});

/** A raw TLS connection to a listener; resolves once it is established (or rejects if the listener drops it). */
async function open(origin: string): Promise<TLSSocket> {
  const url = new URL(origin);
  const socket = connect({ host: url.hostname, port: Number(url.port), ca: bank.pki.caCertificatePem, servername: 'localhost' });
  socket.on('error', () => {});
  await Promise.race([
    once(socket, 'secureConnect'),
    once(socket, 'close').then(() => {
      throw new Error('closed before TLS was established');
    }),
  ]);
  return socket;
}

/** Resolves when the peer closes the connection, with how long that took. */
async function closedWithin(socket: TLSSocket, ms: number): Promise<number> {
  const started = Date.now();
  if (socket.destroyed) return 0;
  await Promise.race([once(socket, 'close'), new Promise((_, reject) => setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms))]);
  return Date.now() - started;
}

describe('listener limits from the configuration', () => {
  test('a body over GINKO_HTTP_BODY_BYTES: 413 from the OAuth endpoints, the customer pages and the APIs', async () => {
    const body = `grant_type=authorization_code&code=${'c'.repeat(BODY_BYTES)}`;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const token = await fetch(`${bank.config.mtls.publicUrl}/oauth/token`, { method: 'POST', headers: form, body, dispatcher: agent });
    assert.equal(token.status, 413);
    assert.equal(((await token.json()) as { error: string }).error, 'invalid_request');
    const login = await fetch(`${bank.config.browser.publicUrl}/my/login`, { method: 'POST', headers: form, body, dispatcher: agent });
    assert.equal(login.status, 413);
    await login.text();
    // The APIs keep their own, smaller limit (4 KiB) and their error body; the guard speaks first for a request without a token.
    const api = await fetch(`${bank.config.mtls.publicUrl}/api/v1/transfer/request`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'p'.repeat(8192) }), dispatcher: agent });
    assert.equal(api.status, 401);
    await api.text();
    // Within the limit, the same endpoint answers as usual.
    const small = await fetch(`${bank.config.mtls.publicUrl}/oauth/token`, { method: 'POST', headers: form, body: 'grant_type=authorization_code&code=x', dispatcher: agent });
    assert.equal(small.status, 400);
    await small.text();
  });

  test('headers over GINKO_HTTP_HEADER_BYTES: 431 on both listeners; under it, answered', async () => {
    for (const origin of [bank.config.browser.publicUrl, bank.config.mtls.publicUrl]) {
      const big = await fetch(`${origin}/healthz`, { headers: { 'x-padding': 'p'.repeat(HEADER_BYTES + 100) }, dispatcher: agent });
      assert.equal(big.status, 431, origin);
      await big.text();
      const fine = await fetch(`${origin}/healthz`, { headers: { 'x-padding': 'p'.repeat(HEADER_BYTES / 2) }, dispatcher: agent });
      assert.equal(fine.status, 200, origin);
      await fine.text();
    }
  });

  test('connections beyond GINKO_HTTP_MAX_CONNECTIONS are closed at once; one closing lets the next in', async () => {
    await agent.close();
    agent = mtlsAgent(bank, undefined);
    const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => open(bank.config.mtls.publicUrl)));
    try {
      await assert.rejects(open(bank.config.mtls.publicUrl), /closed before TLS was established|disconnected before secure TLS connection was established/);
      // The other listener has its own cap.
      (await open(bank.config.browser.publicUrl)).destroy();
      held.pop()!.destroy();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const next = await open(bank.config.mtls.publicUrl);
      held.push(next);
    } finally {
      for (const socket of held) socket.destroy();
    }
  });

  test('a request whose headers never finish, or whose body never comes, is cut after the timeout', async () => {
    const slowHeaders = await open(bank.config.mtls.publicUrl);
    slowHeaders.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
    const headersCut = await closedWithin(slowHeaders, (TIMEOUT_SECONDS + 3) * 1000);
    assert.ok(headersCut >= TIMEOUT_SECONDS * 1000 - 100, `cut after ${headersCut} ms`);

    const slowBody = await open(bank.config.browser.publicUrl);
    let answer = '';
    slowBody.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    slowBody.write('POST /my/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nloginId=');
    await closedWithin(slowBody, (TIMEOUT_SECONDS + 3) * 1000);
    assert.ok(answer === '' || answer.startsWith('HTTP/1.1 408'), answer.slice(0, 100));
  });

  test('an idle kept-alive connection is closed after GINKO_HTTP_KEEP_ALIVE_TIMEOUT_SECONDS', async () => {
    const socket = await open(bank.config.mtls.publicUrl);
    socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await once(socket, 'data');
    const idle = await closedWithin(socket, (TIMEOUT_SECONDS + 3) * 1000);
    assert.ok(idle >= TIMEOUT_SECONDS * 1000 - 200, `closed after ${idle} ms`);
  });
});
