// `ginko operator create` and `ginko operator token` as a bank's administrator runs them against its PostgreSQL:
// the password and TOTP secret are printed once and work at the console; the token works at the admin API with
// the operator's role; mistakes end with exit code 2 and a message.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { startTestBank, TPP_REDIRECT_URI, type TestBank } from '../support/bank.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';
import { AdminApiClient } from '../support/admin-api.ts';
import { CustomerBrowser } from '../support/browser.ts';
import { nextTotpCodeFor } from '../support/authenticator.ts';
import { expectPage } from '../support/tpp.ts';

const GINKO = join(import.meta.dirname, '../../bin/ginko.js');

describe('ginko operator', () => {
  let database: ScratchDatabase;
  let dataDir: string;

  before(async () => {
    database = await createScratchDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'ginko-operator-cli-'));
  });

  after(async () => {
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function ginko(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [GINKO, ...args], { env: { ...process.env, DATABASE_URL: database.url, GINKO_DATA_DIR: dataDir, GINKO_LOG_LEVEL: 'silent' }, timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  test('create prints the password and TOTP secret once; token makes an admin API token; both work', async () => {
    const created = await ginko('operator', 'create', '--role', 'auditor', 'audit-team');
    assert.equal(created.code, 0, created.stderr);
    const password = /Password: +(\S+)/.exec(created.stdout)?.[1];
    const secret = /TOTP secret: +([A-Z2-7]+)/.exec(created.stdout)?.[1];
    assert.ok(password && password.length >= 24, 'a long random password');
    assert.ok(secret);
    assert.match(created.stdout, new RegExp(`otpauth://totp/Ginko%20Bank%20operators%3Aaudit-team\\?secret=${secret}&issuer=Ginko%20Bank%20operators&algorithm=SHA1&digits=6&period=30`));

    const made = await ginko('operator', 'token', '--operator', 'audit-team', '--label', 'nightly report', '--days', '7');
    assert.equal(made.code, 0, made.stderr);
    const token = /^ {2}(ginko_op_\S+)$/m.exec(made.stdout)?.[1];
    assert.ok(token);

    let bank: TestBank | undefined;
    let admin: AdminApiClient | undefined;
    try {
      bank = await startTestBank({ DATABASE_URL: database.url });
      admin = new AdminApiClient(bank);
      const { clientId } = await bank.registerTpp('private_key_jwt');
      assert.equal((await admin.call('GET', `/tpps/${clientId}`, undefined, token)).status, 200);
      assert.equal((await admin.call('POST', `/tpps/${clientId}/suspend`, { reason: 'auditor' }, token)).status, 403, 'the token has its operator\'s role');

      const console = new CustomerBrowser(bank.pki.caCertificatePem, TPP_REDIRECT_URI);
      try {
        const login = expectPage(await console.open(`${bank.config.browser.publicUrl}/operator/login`), 'login');
        const list = expectPage(await console.submit(login, '/operator/login', { name: 'audit-team', password: password!, totp: await nextTotpCodeFor(secret!) }), 'TPP list');
        assert.equal(list.status, 200);
        assert.match(list.html, /audit-team \(auditor\)/);
      } finally {
        await console.close();
      }
    } finally {
      await admin?.close();
      await bank?.stop();
    }
  });

  test('mistakes end with exit code 2 and say what is wrong', async () => {
    const cases: [string[], RegExp][] = [
      [['operator', 'create', '--role', 'root', 'eve'], /--role admin\|auditor/],
      [['operator', 'create', '--role', 'admin', 'Eve Smith'], /operator names are/],
      [['operator', 'create', '--role', 'admin'], /one NAME/],
      [['operator', 'token', '--operator', 'nobody', '--label', 'x'], /no operator named 'nobody'/],
      [['operator', 'token', '--operator', 'audit-team', '--label', 'x', '--days', '365'], /1 to 90 days/],
      [['operator', 'token', '--operator', 'audit-team'], /--label/],
    ];
    for (const [args, message] of cases) {
      const result = await ginko(...args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
    const again = await ginko('operator', 'create', '--role', 'admin', 'audit-team');
    assert.equal(again.code, 2);
    assert.match(again.stderr, /exists already/);
  });
});
