// The transfer rules an operator sets: the same-day cut-off, the daily limit, the approval window, the
// fee table and the simulated clearing's delay. Each falls back to the sandbox's (bank/transfers/policy.ts)
// and is checked here, with a message that says how to fix it.
import type { AssertionError } from 'node:assert';
import { assertFeeTable, type TransferFeeTable } from '../bank/fees.ts';
import { DEFAULT_TRANSFER_POLICY, type TransferPolicy } from '../bank/transfers/policy.ts';
import { ConfigError } from './config.ts';
import { wholeNumberSetting as whole } from './whole-number.ts';

type Env = Record<string, string | undefined>;

const CUT_OFF_PATTERN = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;
/** GMO's upper bound on one transfer request's total. */
const DAILY_LIMIT_YEN_MAX = 999_999_999_999;

function cutOff(env: Env): TransferPolicy['cutOffJst'] {
  const raw = env.GINKO_TRANSFER_CUTOFF_JST;
  if (raw === undefined || raw === '') return DEFAULT_TRANSFER_POLICY.cutOffJst;
  const match = CUT_OFF_PATTERN.exec(raw);
  if (!match) throw new ConfigError(`GINKO_TRANSFER_CUTOFF_JST=${raw} is not valid: use a JST time HH:MM, e.g. 15:30`);
  return { hours: Number(match[1]), minutes: Number(match[2]) };
}

function fees(env: Env): TransferFeeTable {
  const raw = env.GINKO_TRANSFER_FEES;
  if (raw === undefined || raw === '') return DEFAULT_TRANSFER_POLICY.fees;
  const example = '{"sameBranch":[{"fromAmountYen":1,"feeYen":0}],"otherBranch":[{"fromAmountYen":1,"feeYen":110}],"otherBank":[{"fromAmountYen":1,"feeYen":154},{"fromAmountYen":30000,"feeYen":229}]}';
  let table: TransferFeeTable;
  try {
    table = JSON.parse(raw) as TransferFeeTable;
    if (typeof table !== 'object' || table === null || !['sameBranch', 'otherBranch', 'otherBank'].every((key) => Array.isArray((table as Record<string, unknown>)[key]))) {
      throw new Error('it needs sameBranch, otherBranch and otherBank');
    }
    assertFeeTable(table);
  } catch (error) {
    throw new ConfigError(`GINKO_TRANSFER_FEES is not a fee table (${(error as AssertionError | Error).message}): write JSON such as ${example}`);
  }
  return table;
}

export function transferPolicyFrom(env: Env): TransferPolicy {
  return {
    ...DEFAULT_TRANSFER_POLICY,
    cutOffJst: cutOff(env),
    fees: fees(env),
    dailyLimitYen: whole(env, 'GINKO_TRANSFER_DAILY_LIMIT_YEN', DEFAULT_TRANSFER_POLICY.dailyLimitYen, 1, DAILY_LIMIT_YEN_MAX),
    authorisationTtlSeconds: whole(env, 'GINKO_TRANSFER_APPROVAL_SECONDS', DEFAULT_TRANSFER_POLICY.authorisationTtlSeconds, 60, 3600),
    clearingDelaySeconds: whole(env, 'GINKO_CLEARING_DELAY_SECONDS', DEFAULT_TRANSFER_POLICY.clearingDelaySeconds, 0, 24 * 3600),
  };
}
