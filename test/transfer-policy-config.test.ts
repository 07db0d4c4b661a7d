// The operator's transfer rules from the environment (or GINKO_CONFIG_FILE): defaults, values, and
// refusals that say how to fix them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/config.ts';
import { DEFAULT_TRANSFER_POLICY } from '../src/bank/transfers/policy.ts';
import { transferFeeYen } from '../src/bank/fees.ts';

test('transfer rules: the sandbox defaults, or the operator’s', () => {
  assert.deepEqual(loadConfig({}).transferPolicy, DEFAULT_TRANSFER_POLICY);
  const policy = loadConfig({
    GINKO_TRANSFER_CUTOFF_JST: '14:45',
    GINKO_TRANSFER_DAILY_LIMIT_YEN: '500000',
    GINKO_TRANSFER_APPROVAL_SECONDS: '300',
    GINKO_CLEARING_DELAY_SECONDS: '60',
    GINKO_TRANSFER_FEES: JSON.stringify({ sameBranch: [{ fromAmountYen: 1, feeYen: 0 }], otherBranch: [{ fromAmountYen: 1, feeYen: 0 }], otherBank: [{ fromAmountYen: 1, feeYen: 100 }, { fromAmountYen: 50_000, feeYen: 300 }] }),
  }).transferPolicy;
  assert.deepEqual(policy.cutOffJst, { hours: 14, minutes: 45 });
  assert.equal(policy.dailyLimitYen, 500_000);
  assert.equal(policy.authorisationTtlSeconds, 300);
  assert.equal(policy.clearingDelaySeconds, 60);
  assert.equal(transferFeeYen(policy.fees, 'otherBank', 49_999), 100);
  assert.equal(transferFeeYen(policy.fees, 'otherBank', 50_000), 300);
});

test('transfer rules: bad values are refused with the fix', () => {
  for (const [name, value, hint] of [
    ['GINKO_TRANSFER_CUTOFF_JST', '3pm', /HH:MM/],
    ['GINKO_TRANSFER_CUTOFF_JST', '24:00', /HH:MM/],
    ['GINKO_TRANSFER_DAILY_LIMIT_YEN', '0', /whole number from 1/],
    ['GINKO_TRANSFER_APPROVAL_SECONDS', '10', /60 to 3600/],
    ['GINKO_TRANSFER_FEES', '{"otherBank":[]}', /sameBranch/],
    ['GINKO_TRANSFER_FEES', '{"sameBranch":[{"fromAmountYen":5,"feeYen":0}],"otherBranch":[{"fromAmountYen":1,"feeYen":0}],"otherBank":[{"fromAmountYen":1,"feeYen":0}]}', /start at 1 yen/],
    ['GINKO_TRANSFER_FEES', 'not json', /fee table/],
  ] as const) {
    assert.throws(() => loadConfig({ [name]: value }), (error: Error) => error instanceof ConfigError && hint.test(error.message), `${name}=${value}`);
  }
});
