// `ginko totp <loginId>` prints the code an authenticator app with the demo secret shows now.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEMO_TOTP_SECRETS } from '../src/bank/demo-totp.ts';
import { matchingTotpStep } from '../src/bank/totp.ts';

const GINKO = join(import.meta.dirname, '../bin/ginko.js');

test('ginko totp prints the current code of a demo customer; an unknown login is a usage error', () => {
  const run = spawnSync(process.execPath, [GINKO, 'totp', 'tanaka'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const code = /^(\d{6}) /.exec(run.stdout)?.[1];
  assert.ok(code, run.stdout);
  assert.notEqual(matchingTotpStep(DEMO_TOTP_SECRETS.tanaka!, code, new Date()), undefined);
  const unknown = spawnSync(process.execPath, [GINKO, 'totp', 'nobody'], { encoding: 'utf8' });
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /tanaka, suzuki, sato/);
});
