import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { FAPI_TLS12_CIPHERS, fapiTlsOptions } from '../src/http/tls.ts';
import { certificateThumbprint, clientCertificateChainTrusted, clientCertificateOf } from '../src/http/client-certificate.ts';
import {
  issueClientCertificate,
  loadOrCreateDevPki,
  selfSignedClientCertificate,
  type DevPki,
  type IssuedCertificate,
} from '../src/pki/dev-pki.ts';

let dir: string;
let pki: DevPki;
let plainServer: Server;
let mtlsServer: Server;
let plainPort: number;
let mtlsPort: number;

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function close(server: Server | undefined): Promise<void> {
  if (server === undefined) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ginko-tls-'));
  pki = await loadOrCreateDevPki(dir, { hostnames: [] });
  const base = {
    certificatePem: pki.serverCertificatePem,
    privateKeyPem: pki.serverPrivateKeyPem,
    caCertificatePem: pki.caCertificatePem,
  };
  plainServer = createServer(fapiTlsOptions({ ...base, requestClientCertificate: false }), (_request, response) => {
    response.end('ok');
  });
  // The mTLS listener reports what the server saw of the client certificate.
  mtlsServer = createServer(fapiTlsOptions({ ...base, requestClientCertificate: true }), (request, response) => {
    const certificate = clientCertificateOf(request);
    response.setHeader('content-type', 'application/json');
    response.end(
      JSON.stringify({
        authorized: clientCertificateChainTrusted(request),
        thumbprint: certificate === undefined ? null : certificateThumbprint(certificate),
      }),
    );
  });
  plainPort = await listen(plainServer);
  mtlsPort = await listen(mtlsServer);
});

after(async () => {
  await close(plainServer);
  await close(mtlsServer);
  rmSync(dir, { recursive: true, force: true });
});

interface Negotiated {
  protocol: string | null;
  cipher: string;
}

/** Completes a handshake (verifying the server against the dev CA) or rejects with the TLS error. */
function handshake(port: number, options: ConnectionOptions): Promise<Negotiated> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: [pki.caCertificatePem], ...options }, () => {
      const result = { protocol: socket.getProtocol(), cipher: socket.getCipher().name };
      socket.end();
      resolve(result);
    });
    socket.on('error', reject);
  });
}

/** A handshake the server must refuse with a TLS alert (so we know the client really offered). */
async function assertRefused(options: ConnectionOptions, alert: RegExp): Promise<void> {
  await assert.rejects(handshake(plainPort, options), (error: NodeJS.ErrnoException) => {
    assert.match(String(error.code), alert);
    return true;
  });
}

test('each FAPI TLS 1.2 suite negotiates', async () => {
  for (const cipher of FAPI_TLS12_CIPHERS) {
    const negotiated = await handshake(plainPort, { maxVersion: 'TLSv1.2', ciphers: cipher });
    assert.deepEqual(negotiated, { protocol: 'TLSv1.2', cipher }, cipher);
  }
});

test('the server prefers ECDHE when the client offers every FAPI suite', async () => {
  const negotiated = await handshake(plainPort, {
    maxVersion: 'TLSv1.2',
    ciphers: [...FAPI_TLS12_CIPHERS].reverse().join(':'),
  });
  assert.equal(negotiated.protocol, 'TLSv1.2');
  assert.match(negotiated.cipher, /^ECDHE-RSA-AES(128|256)-GCM-SHA(256|384)$/);
});

test('other TLS 1.2 suites are refused', async () => {
  for (const cipher of [
    'ECDHE-RSA-CHACHA20-POLY1305', // AEAD with PFS, but not on the FAPI list
    'AES128-GCM-SHA256', // no forward secrecy
    'AES256-GCM-SHA384',
    'ECDHE-RSA-AES128-SHA256', // CBC
    'ECDHE-RSA-AES128-SHA', // CBC, SHA-1
    'DHE-RSA-AES128-SHA256',
    'DHE-RSA-AES128-GCM-SHA256', // FAPI 1.0 lists it, FAPI 2.0 (BCP 195) does not
    'DHE-RSA-AES256-GCM-SHA384',
  ]) {
    await assertRefused({ maxVersion: 'TLSv1.2', ciphers: `${cipher}@SECLEVEL=0` }, /ALERT_HANDSHAKE_FAILURE/);
  }
});

test('TLS 1.0 and 1.1 are refused', async () => {
  for (const version of ['TLSv1', 'TLSv1.1'] as const) {
    // The client must be allowed to speak the old protocol at all (Node's default floor is 1.2,
    // and OpenSSL's security level 1 forbids TLS < 1.2), else it would fail before saying hello.
    await assertRefused(
      { minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' },
      /ALERT_PROTOCOL_VERSION/,
    );
  }
});

test('TLS 1.3 negotiates, and is chosen when the client offers 1.2 and 1.3', async () => {
  const only13 = await handshake(plainPort, { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
  assert.equal(only13.protocol, 'TLSv1.3');
  assert.match(only13.cipher, /^TLS_/);

  const both = await handshake(plainPort, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
  assert.equal(both.protocol, 'TLSv1.3');
});

test('the server certificate matches localhost as well as 127.0.0.1', async () => {
  const negotiated = await handshake(plainPort, { servername: 'localhost' });
  assert.equal(negotiated.protocol, 'TLSv1.3');
});

interface SeenByServer {
  authorized: boolean;
  thumbprint: string | null;
}

/** One HTTP/1.1 GET over tls.connect to the mTLS listener, optionally presenting a certificate. */
function requestMtls(client: IssuedCertificate | undefined, options: ConnectionOptions = {}): Promise<SeenByServer> {
  return new Promise((resolve, reject) => {
    const socket: TLSSocket = connect(
      {
        host: '127.0.0.1',
        port: mtlsPort,
        ca: [pki.caCertificatePem],
        ...(client === undefined ? {} : { cert: client.certificatePem, key: client.privateKeyPem }),
        ...options,
      },
      () => {
        socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      },
    );
    let raw = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      raw += chunk;
    });
    socket.on('end', () => {
      const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
      try {
        resolve(JSON.parse(body) as SeenByServer);
      } catch (error) {
        reject(new Error(`Unexpected response: ${raw}`, { cause: error }));
      }
    });
    socket.on('error', reject);
  });
}

test('mTLS: a CA-issued client certificate is authorized (TLS 1.3 and TLS 1.2)', async () => {
  const client = await issueClientCertificate(pki, { commonName: 'tpp-client', organizationName: 'Example TPP' });
  const expected = certificateThumbprint(new X509Certificate(client.certificatePem));
  for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
    const seen = await requestMtls(client, { maxVersion });
    assert.deepEqual(seen, { authorized: true, thumbprint: expected }, maxVersion);
  }
  const rsaClient = await issueClientCertificate(pki, { commonName: 'rsa-client' }, { keyType: 'RSA' });
  assert.equal((await requestMtls(rsaClient)).authorized, true);
});

test('mTLS: a self-signed client certificate connects but is not authorized', async () => {
  const client = await selfSignedClientCertificate({ commonName: 'self-signed-tpp' });
  const seen = await requestMtls(client);
  assert.deepEqual(seen, {
    authorized: false,
    thumbprint: certificateThumbprint(new X509Certificate(client.certificatePem)),
  });
});

test('mTLS: no client certificate still connects, unauthorized and without a certificate', async () => {
  const seen = await requestMtls(undefined);
  assert.deepEqual(seen, { authorized: false, thumbprint: null });
});

test('fapiTlsOptions refuses a non-RSA server key', async () => {
  const ec = await issueClientCertificate(pki, { commonName: 'ec' });
  assert.throws(
    () =>
      fapiTlsOptions({
        certificatePem: ec.certificatePem,
        privateKeyPem: ec.privateKeyPem,
        caCertificatePem: pki.caCertificatePem,
        requestClientCertificate: false,
      }),
    /RSA server key/,
  );
});
