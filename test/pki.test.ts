import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  canonicalDistinguishedName,
  issueClientCertificate,
  loadOrCreateDevPki,
  sameDistinguishedName,
  selfSignedClientCertificate,
  subjectDnOf,
  type DevPki,
} from '../src/pki/dev-pki.ts';
import { certificateThumbprint } from '../src/http/client-certificate.ts';

let dir: string;
let pki: DevPki;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ginko-pki-'));
  pki = await loadOrCreateDevPki(join(dir, 'pki'), { hostnames: ['as.bank.local', '10.0.0.7'] });
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function hasExtendedKeyUsage(certificate: X509Certificate, oid: string): boolean {
  return (certificate.keyUsage ?? []).includes(oid);
}

test('CA is a self-signed CA certificate', () => {
  const ca = new X509Certificate(pki.caCertificatePem);
  assert.equal(ca.ca, true);
  assert.ok(ca.verify(ca.publicKey));
  assert.ok(ca.checkPrivateKey(createPrivateKey(pki.caPrivateKeyPem)));
  assert.ok(ca.validToDate.getTime() - Date.now() > 9 * 365 * 24 * 3600 * 1000);
});

test('server certificate: RSA ≥ 2048, signed by the CA, serverAuth, covers the requested names', () => {
  const ca = new X509Certificate(pki.caCertificatePem);
  const server = new X509Certificate(pki.serverCertificatePem);
  assert.ok(server.verify(ca.publicKey));
  assert.ok(server.checkIssued(ca));
  assert.equal(server.ca, false);
  assert.ok(hasExtendedKeyUsage(server, '1.3.6.1.5.5.7.3.1'));
  assert.equal(server.checkHost('localhost'), 'localhost');
  assert.equal(server.checkHost('as.bank.local'), 'as.bank.local');
  assert.equal(server.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(server.checkIP('::1'), '::1');
  assert.equal(server.checkIP('10.0.0.7'), '10.0.0.7');
  assert.equal(server.checkHost('evil.example'), undefined);

  const key = createPrivateKey(pki.serverPrivateKeyPem);
  assert.equal(key.asymmetricKeyType, 'rsa');
  assert.ok((key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048);
  assert.ok(server.checkPrivateKey(key));
  assert.match(pki.serverPrivateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/); // PKCS#8
  assert.match(pki.caPrivateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
});

test('files: directory 0700, keys 0600', () => {
  const pkiDir = join(dir, 'pki');
  assert.equal(statSync(pkiDir).mode & 0o777, 0o700);
  assert.equal(statSync(join(pkiDir, 'ca.key')).mode & 0o777, 0o600);
  assert.equal(statSync(join(pkiDir, 'server.key')).mode & 0o777, 0o600);
  assert.ok(statSync(join(pkiDir, 'ca.crt')).isFile());
  assert.ok(statSync(join(pkiDir, 'server.crt')).isFile());
});

test('private keys stay out of logs and JSON', () => {
  assert.ok(!JSON.stringify(pki).includes('PRIVATE KEY'));
  assert.ok(!inspect(pki).includes('PRIVATE KEY'));
  assert.ok(pki.caPrivateKeyPem.includes('PRIVATE KEY'));
});

test('second call reuses the CA and the server certificate; a new hostname re-issues only the server certificate', async () => {
  const pkiDir = join(dir, 'pki');
  const again = await loadOrCreateDevPki(pkiDir, { hostnames: ['as.bank.local', '10.0.0.7'] });
  assert.equal(again.caCertificatePem, pki.caCertificatePem);
  assert.equal(again.caPrivateKeyPem, pki.caPrivateKeyPem);
  assert.equal(again.serverCertificatePem, pki.serverCertificatePem);
  assert.equal(again.serverPrivateKeyPem, pki.serverPrivateKeyPem);

  const wider = await loadOrCreateDevPki(pkiDir, { hostnames: ['as.bank.local', '10.0.0.7', 'api.bank.local'] });
  assert.equal(wider.caCertificatePem, pki.caCertificatePem);
  assert.notEqual(wider.serverCertificatePem, pki.serverCertificatePem);
  const server = new X509Certificate(wider.serverCertificatePem);
  assert.equal(server.checkHost('api.bank.local'), 'api.bank.local');
  assert.ok(server.verify(new X509Certificate(pki.caCertificatePem).publicKey));
  assert.equal(statSync(join(pkiDir, 'server.key')).mode & 0o777, 0o600);
});

test('a lost server key re-issues the server certificate; a lost CA key is an error, not a new CA', async () => {
  const pkiDir = join(dir, 'pki-damaged');
  const first = await loadOrCreateDevPki(pkiDir, { hostnames: [] });
  rmSync(join(pkiDir, 'server.key'));
  const second = await loadOrCreateDevPki(pkiDir, { hostnames: [] });
  assert.equal(second.caCertificatePem, first.caCertificatePem);
  assert.notEqual(second.serverCertificatePem, first.serverCertificatePem);
  assert.ok(new X509Certificate(second.serverCertificatePem).checkPrivateKey(createPrivateKey(second.serverPrivateKeyPem)));
  rmSync(join(pkiDir, 'ca.key'));
  await assert.rejects(loadOrCreateDevPki(pkiDir, { hostnames: [] }), /ca\.key is missing/);
});

test('invalid hostnames are refused', async () => {
  await assert.rejects(loadOrCreateDevPki(join(dir, 'pki-bad'), { hostnames: ['not a host'] }), /Not a hostname/);
});

test('CA-issued client certificates (EC default, RSA on request) verify and carry clientAuth', async () => {
  const ca = new X509Certificate(pki.caCertificatePem);
  for (const keyType of [undefined, 'RSA'] as const) {
    const issued = await issueClientCertificate(
      pki,
      { commonName: 'tpp-client-1', organizationName: 'Example TPP' },
      keyType === undefined ? undefined : { keyType },
    );
    const certificate = new X509Certificate(issued.certificatePem);
    assert.ok(certificate.verify(ca.publicKey));
    assert.ok(certificate.checkIssued(ca));
    assert.ok(hasExtendedKeyUsage(certificate, '1.3.6.1.5.5.7.3.2'));
    const key = createPrivateKey(issued.privateKeyPem);
    assert.equal(key.asymmetricKeyType, keyType === 'RSA' ? 'rsa' : 'ec');
    assert.ok(certificate.checkPrivateKey(key));
    assert.equal(issued.subjectDn, 'CN=tpp-client-1,O=Example TPP');
    assert.equal(subjectDnOf(certificate), issued.subjectDn);
  }
});

test('validityDays is honoured', async () => {
  const issued = await issueClientCertificate(pki, { commonName: 'short' }, { validityDays: 2 });
  const lifetime = new X509Certificate(issued.certificatePem).validToDate.getTime() - Date.now();
  assert.ok(lifetime > 1.9 * 86_400_000 && lifetime <= 2 * 86_400_000);
});

test('self-signed client certificate is not issued by the CA', async () => {
  const issued = await selfSignedClientCertificate({ commonName: 'self-signed-tpp', organizationName: 'Example TPP' });
  const certificate = new X509Certificate(issued.certificatePem);
  const ca = new X509Certificate(pki.caCertificatePem);
  assert.ok(certificate.verify(certificate.publicKey));
  assert.ok(!certificate.verify(ca.publicKey));
  assert.ok(hasExtendedKeyUsage(certificate, '1.3.6.1.5.5.7.3.2'));
  assert.equal(issued.subjectDn, 'CN=self-signed-tpp,O=Example TPP');
  assert.equal(subjectDnOf(certificate), issued.subjectDn);
});

test('subjectDn round-trips and escapes RFC 4514 specials', async () => {
  const issued = await issueClientCertificate(pki, {
    commonName: '#1 "Bank", Inc.+ ',
    organizationName: 'Ünïcødé <Org>; \\',
  });
  assert.equal(issued.subjectDn, 'CN=\\#1 \\"Bank\\"\\, Inc.\\+\\ ,O=Ünïcødé \\<Org\\>\\; \\\\');
  assert.equal(subjectDnOf(new X509Certificate(issued.certificatePem)), issued.subjectDn);
  assert.equal(canonicalDistinguishedName(issued.subjectDn), issued.subjectDn);
  assert.ok(sameDistinguishedName(issued.subjectDn, 'cn=\\#1 \\"Bank\\"\\2C Inc.\\+\\20, o=Ünïcødé \\<Org\\>\\; \\\\'));
});

test('sameDistinguishedName: tolerated differences', () => {
  assert.ok(sameDistinguishedName('CN=tpp-client-1,O=Example TPP', 'CN=tpp-client-1,O=Example TPP'));
  assert.ok(sameDistinguishedName('CN=tpp-client-1,O=Example TPP', 'CN=tpp-client-1, O=Example TPP'));
  assert.ok(sameDistinguishedName('CN=tpp-client-1,O=Example TPP', 'cn=tpp-client-1,  o=Example TPP'));
  assert.ok(sameDistinguishedName('CN=tpp-client-1,O=Example TPP', 'commonName=tpp-client-1,organizationName=Example TPP'));
  assert.ok(sameDistinguishedName('CN=tpp-client-1,O=Example TPP', '2.5.4.3=tpp-client-1,OID.2.5.4.10=Example TPP'));
  // #hex of a DER PrintableString "JP" equals the text form.
  assert.ok(sameDistinguishedName('CN=a,C=JP', 'CN=a,C=#13024a50'));
  // Multi-valued RDNs compare regardless of the order of their attributes.
  assert.ok(sameDistinguishedName('CN=a+UID=7,O=b', 'UID=7 + CN=a,O=b'));
});

test('sameDistinguishedName: real differences', () => {
  const dn = 'CN=tpp-client-1,O=Example TPP';
  assert.ok(!sameDistinguishedName(dn, 'CN=tpp-client-2,O=Example TPP'));
  assert.ok(!sameDistinguishedName(dn, 'CN=TPP-CLIENT-1,O=Example TPP')); // values are case-sensitive
  assert.ok(!sameDistinguishedName(dn, 'O=Example TPP,CN=tpp-client-1')); // RDN order matters
  assert.ok(!sameDistinguishedName(dn, 'CN=tpp-client-1'));
  assert.ok(!sameDistinguishedName(dn, 'CN=tpp-client-1,O=Example TPP,C=JP'));
  assert.ok(!sameDistinguishedName(dn, 'CN=tpp-client-1+O=Example TPP'));
  assert.ok(!sameDistinguishedName(dn, 'CN=tpp-client-1,OU=Example TPP'));
  assert.ok(!sameDistinguishedName(dn, 'CN=tpp-client-1\\,O=Example TPP'));
  // Malformed input matches nothing, not even itself.
  assert.ok(!sameDistinguishedName('garbage', 'garbage'));
  assert.ok(!sameDistinguishedName('CN=a,', 'CN=a,'));
  assert.ok(!sameDistinguishedName('XYZZY=a', 'XYZZY=a'));
});

test('certificateThumbprint is base64url SHA-256 of the DER', async () => {
  const issued = await issueClientCertificate(pki, { commonName: 'thumbprint' });
  const certificate = new X509Certificate(issued.certificatePem);
  const expected = createHash('sha256').update(certificate.raw).digest('base64url');
  assert.equal(certificateThumbprint(certificate), expected);
  assert.match(expected, /^[A-Za-z0-9_-]{43}$/);
});
