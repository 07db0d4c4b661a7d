// The trusted directories for dynamic registration (GINKO_TRUSTED_DIRECTORIES_FILE) and the registration
// policy: read at start, and every mistake refused with a message that names the setting and the fix.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'ginko-directories-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ecKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const publicJwk = (pair = ecKey()) => ({ ...pair.publicKey.export({ format: 'jwk' }), kid: 'k1' });

function directoriesFile(content: unknown): string {
  const path = join(dir, `directories-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function refusal(env: Record<string, string>): string {
  try {
    loadConfig({ GINKO_DATA_DIR: dir, ...env });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `a ConfigError, not ${String(error)}`);
    return error.message;
  }
  assert.fail(`loadConfig accepted ${JSON.stringify(env)}`);
}

test('by default no directory is trusted and a registration lands suspended', () => {
  const config = loadConfig({ GINKO_DATA_DIR: dir });
  assert.deepEqual(config.registration.trustedDirectories, []);
  assert.equal(config.registration.newTppStatus, 'suspended');
});

test('a directory with an ES256 and a PS256 key is read with both', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const file = directoriesFile([{ issuer: 'https://directory.example', jwks: { keys: [publicJwk(), { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'k2' }] } }]);
  const config = loadConfig({ GINKO_DATA_DIR: dir, GINKO_TRUSTED_DIRECTORIES_FILE: file, GINKO_REGISTRATION_STATUS: 'active' });
  assert.equal(config.registration.trustedDirectories[0]?.issuer, 'https://directory.example');
  assert.deepEqual(config.registration.trustedDirectories[0]?.keys.map((k) => k.kid), ['k1', 'k2']);
  assert.equal(config.registration.newTppStatus, 'active');
});

test('mistakes are refused, naming the setting and the fix', () => {
  const cases: [unknown, RegExp][] = [
    ['{not json', /cannot be read as JSON.*write a list/],
    [{ issuer: 'https://directory.example' }, /JSON list of at most 20 directories/],
    [[{ jwks: { keys: [publicJwk()] } }], /directory 1 needs an "issuer"/],
    [[{ issuer: 'https://directory.example', jwks: { keys: [] } }], /needs "jwks"/],
    [[{ issuer: 'https://directory.example', jwks: { keys: [ecKey().privateKey.export({ format: 'jwk' })] } }], /must be a public JWK \(no "d"\)/],
    [[{ issuer: 'https://directory.example', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'nope' }] } }], /not a usable JWK/],
    [[{ issuer: 'https://directory.example', jwks: { keys: [generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' })] } }], /RSA key of at least 2048 bits \(PS256\) or a P-256 key \(ES256\)/],
    [[{ issuer: 'https://directory.example', jwks: { keys: [generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' })] } }], /RSA key of at least 2048 bits/],
    [
      [
        { issuer: 'https://directory.example', jwks: { keys: [publicJwk()] } },
        { issuer: 'https://directory.example', jwks: { keys: [publicJwk()] } },
      ],
      /listed twice/,
    ],
  ];
  for (const [content, expected] of cases) {
    const message = refusal({ GINKO_TRUSTED_DIRECTORIES_FILE: directoriesFile(content) });
    assert.match(message, /^GINKO_TRUSTED_DIRECTORIES_FILE=/);
    assert.match(message, expected);
  }
  assert.match(refusal({ GINKO_TRUSTED_DIRECTORIES_FILE: join(dir, 'missing.json') }), /cannot be read as JSON \(ENOENT\)/);
  assert.match(refusal({ GINKO_REGISTRATION_STATUS: 'pending' }), /GINKO_REGISTRATION_STATUS=pending is not valid: use one of suspended, active/);
});
