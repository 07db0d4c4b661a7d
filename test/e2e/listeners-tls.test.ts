// End to end: the TLS checks of the FAPI 1.0 Advanced and FAPI 2.0 conformance suites
// (research/fapi-conformance.md §1.7 and §2.7: FAPI1-ADV-8.5, FAPI2-SP-5.2) against the two live
// listeners of a running bank, with node:tls as the client.
// test/tls.test.ts checks fapiTlsOptions in isolation; this checks what the bank actually serves.
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Duplex } from 'node:stream';
import { connect, type ConnectionOptions } from 'node:tls';
import { FAPI_TLS12_CIPHERS } from '../../src/http/tls.ts';
import { startTestBank, type TestBank } from '../support/bank.ts';

/** TLS 1.2 suites FAPI 1.0 (8.5-1) or FAPI 2.0 (5.2.2, BCP 195 only) does not allow, each one the server must refuse. */
const DISALLOWED_TLS12_CIPHERS = [
  'DHE-RSA-AES128-GCM-SHA256', // on the FAPI 1.0 list, but not BCP 195's: a failure under FAPI 2.0
  'DHE-RSA-AES256-GCM-SHA384',
  'ECDHE-RSA-CHACHA20-POLY1305', // AEAD with forward secrecy, but not on the FAPI list
  'ECDHE-ECDSA-AES128-GCM-SHA256', // not RSA-authenticated (our certificate could not serve it anyway)
  'AES128-GCM-SHA256', // no forward secrecy
  'AES256-GCM-SHA384',
  'ECDHE-RSA-AES128-SHA256', // CBC
  'ECDHE-RSA-AES256-SHA384',
  'ECDHE-RSA-AES128-SHA', // CBC with SHA-1
  'DHE-RSA-AES128-SHA256',
  'DHE-RSA-CHACHA20-POLY1305',
  'AES128-SHA',
];

/** TLS handshake message types (RFC 5246 §7.4). */
const HANDSHAKE = { serverHello: 2, certificate: 11, serverKeyExchange: 12, certificateRequest: 13, serverHelloDone: 14 } as const;

let bank: TestBank;
/** The ports are known only once the bank runs, so each listener names a getter. */
const LISTENERS = [
  { name: 'browser', port: () => bank.config.browser.port },
  { name: 'mTLS', port: () => bank.config.mtls.port },
];

before(async () => {
  bank = await startTestBank();
});

after(async () => {
  await bank?.stop();
});

interface Negotiated {
  protocol: string | null;
  cipher: string;
}

function baseOptions(port: number): ConnectionOptions {
  // The dev server certificate names localhost; the test bank listens on 127.0.0.1.
  return { host: '127.0.0.1', port, servername: 'localhost', ca: [bank.pki.caCertificatePem] };
}

/** Completes a handshake, verifying the server against the sandbox CA, or rejects with the TLS error. */
function handshake(port: number, options: ConnectionOptions): Promise<Negotiated> {
  return new Promise((resolve, reject) => {
    const socket = connect({ ...baseOptions(port), ...options }, () => {
      const result = { protocol: socket.getProtocol(), cipher: socket.getCipher().name };
      socket.end();
      resolve(result);
    });
    socket.on('error', reject);
  });
}

async function assertRefused(port: number, options: ConnectionOptions, alert: RegExp): Promise<void> {
  await assert.rejects(handshake(port, options), (error: NodeJS.ErrnoException) => {
    assert.match(String(error.code), alert);
    return true;
  });
}

/**
 * A TLS 1.2 handshake over a socket that records what the server sends: the server's first flight
 * (ServerHello … ServerHelloDone) is plaintext in TLS 1.2, so the handshake message types show
 * whether the server sent a CertificateRequest.
 */
function serverFlightTypes(port: number, options: ConnectionOptions = {}): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const raw = netConnect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    const tap = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        raw.write(chunk, callback);
      },
      final(callback) {
        raw.end();
        callback();
      },
      destroy(error, callback) {
        raw.destroy();
        callback(error);
      },
    });
    raw.on('data', (chunk: Buffer) => {
      received.push(chunk);
      tap.push(chunk);
    });
    raw.on('end', () => tap.push(null));
    raw.on('error', (error) => tap.destroy(error));
    const socket = connect({ ...baseOptions(port), socket: tap, maxVersion: 'TLSv1.2', ...options }, () => {
      socket.end();
      try {
        resolve(serverFirstFlight(Buffer.concat(received)));
      } catch (error) {
        reject(error);
      }
    });
    socket.on('error', reject);
  });
}

/**
 * Parses the server's TLS records and lists the handshake message types of its first flight, up to
 * ServerHelloDone (what follows — NewSessionTicket, ChangeCipherSpec, Finished — is the second).
 */
function serverFirstFlight(bytes: Buffer): number[] {
  const handshake: Buffer[] = [];
  for (let offset = 0; offset + 5 <= bytes.length; ) {
    const contentType = bytes[offset]!;
    const length = bytes.readUInt16BE(offset + 3);
    if (contentType === 20) break; // change_cipher_spec: what follows is encrypted
    assert.equal(contentType, 22, `expected a handshake record, got content type ${contentType}`);
    handshake.push(bytes.subarray(offset + 5, offset + 5 + length));
    offset += 5 + length;
  }
  const messages = Buffer.concat(handshake);
  const types: number[] = [];
  for (let offset = 0; offset + 4 <= messages.length; ) {
    const type = messages[offset]!;
    types.push(type);
    if (type === HANDSHAKE.serverHelloDone) break;
    offset += 4 + messages.readUIntBE(offset + 1, 3);
  }
  return types;
}

describe('both listeners', () => {
  for (const { name, port } of LISTENERS) {
    describe(`${name} listener`, () => {
      test('TLS 1.0 and 1.1 are refused', async () => {
        for (const version of ['TLSv1', 'TLSv1.1'] as const) {
          // The client must really offer the old protocol: Node's floor is TLS 1.2 and OpenSSL's
          // default security level forbids older versions, so both are lowered for this client only.
          await assertRefused(port(), { minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' }, /ALERT_PROTOCOL_VERSION/);
        }
      });

      test('a client offering TLS 1.0–1.2 gets TLS 1.2, never older', async () => {
        const negotiated = await handshake(port(), { minVersion: 'TLSv1', maxVersion: 'TLSv1.2', ciphers: `${FAPI_TLS12_CIPHERS.join(':')}:DEFAULT@SECLEVEL=0` });
        assert.equal(negotiated.protocol, 'TLSv1.2');
        assert.ok((FAPI_TLS12_CIPHERS as readonly string[]).includes(negotiated.cipher), negotiated.cipher);
      });

      for (const cipher of FAPI_TLS12_CIPHERS) {
        test(`TLS 1.2 with ${cipher} is accepted`, async () => {
          assert.deepEqual(await handshake(port(), { maxVersion: 'TLSv1.2', ciphers: cipher }), { protocol: 'TLSv1.2', cipher });
        });
      }

      test('every other TLS 1.2 suite is refused', async () => {
        for (const cipher of DISALLOWED_TLS12_CIPHERS) {
          await assertRefused(port(), { maxVersion: 'TLSv1.2', ciphers: `${cipher}@SECLEVEL=0` }, /ALERT_HANDSHAKE_FAILURE/);
        }
        // And all of them at once: every TLS 1.2 suite this client's OpenSSL has, minus the FAPI four.
        const allButFapi = `ALL:${FAPI_TLS12_CIPHERS.map((c) => `!${c}`).join(':')}@SECLEVEL=0`;
        await assertRefused(port(), { maxVersion: 'TLSv1.2', ciphers: allButFapi }, /ALERT_HANDSHAKE_FAILURE/);
      });

      test('offered every TLS 1.2 suite the client knows, the server picks a FAPI one (ECDHE first)', async () => {
        const negotiated = await handshake(port(), { maxVersion: 'TLSv1.2', ciphers: 'ALL@SECLEVEL=0' });
        assert.equal(negotiated.protocol, 'TLSv1.2');
        assert.match(negotiated.cipher, /^ECDHE-RSA-AES(128|256)-GCM-SHA(256|384)$/);
      });

      test('TLS 1.3 negotiates', async () => {
        const negotiated = await handshake(port(), { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
        assert.equal(negotiated.protocol, 'TLSv1.3');
        assert.match(negotiated.cipher, /^TLS_AES_(128|256)_GCM_SHA(256|384)$|^TLS_CHACHA20_POLY1305_SHA256$/);
      });

      test('TLS 1.3 is preferred when the client offers 1.2 and 1.3', async () => {
        assert.equal((await handshake(port(), { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' })).protocol, 'TLSv1.3');
        // Even a client that lists its TLS 1.2 FAPI suites first.
        assert.equal((await handshake(port(), { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ciphers: [...FAPI_TLS12_CIPHERS, 'TLS_AES_128_GCM_SHA256'].join(':') })).protocol, 'TLSv1.3');
      });
    });
  }
});

describe('client certificates', () => {
  test('the browser listener does not ask for a client certificate', async () => {
    const types = await serverFlightTypes(bank.config.browser.port);
    assert.deepEqual(types, [HANDSHAKE.serverHello, HANDSHAKE.certificate, HANDSHAKE.serverKeyExchange, HANDSHAKE.serverHelloDone]);
  });

  test('the mTLS listener asks for one', async () => {
    const types = await serverFlightTypes(bank.config.mtls.port);
    assert.deepEqual(types, [HANDSHAKE.serverHello, HANDSHAKE.certificate, HANDSHAKE.serverKeyExchange, HANDSHAKE.certificateRequest, HANDSHAKE.serverHelloDone]);
  });

  test('the mTLS listener receives a certificate over TLS 1.3 as well: tls_client_auth authenticates with it', async () => {
    const tpp = await bank.registerTpp('tls_client_auth');
    const tokenRequest = async (certificate: boolean): Promise<{ status: number; body: { error?: string } }> =>
      new Promise((resolve, reject) => {
        const body = new URLSearchParams({ grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: 'https://tpp.example/callback', client_id: tpp.clientId }).toString();
        const socket = connect(
          {
            ...baseOptions(bank.config.mtls.port),
            minVersion: 'TLSv1.3',
            ...(certificate ? { cert: tpp.certificatePem, key: tpp.privateKeyPem } : {}),
          },
          () => {
            assert.equal(socket.getProtocol(), 'TLSv1.3');
            socket.write(
              `POST /oauth/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
            );
          },
        );
        let raw = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (raw += chunk));
        socket.on('end', () => {
          const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1]);
          try {
            resolve({ status, body: JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) });
          } catch (error) {
            reject(new Error(`unexpected response: ${raw}`, { cause: error }));
          }
        });
        socket.on('error', reject);
      });
    // With the certificate the client is authenticated and only the (bogus) code is wrong…
    const withCertificate = await tokenRequest(true);
    assert.equal(withCertificate.status, 400);
    assert.equal(withCertificate.body.error, 'invalid_grant');
    // …without it, client authentication itself fails.
    const without = await tokenRequest(false);
    assert.equal(without.status, 401);
    assert.equal(without.body.error, 'invalid_client');
  });
});
