// What every HTTP fuzz case checks: an answer within the timeout (no hang), never a 5xx (no crash, no
// server error for a client's mistake), and, for a refused request, nothing written: the rows a request
// could create (flow state, consents, transfers, idempotency keys, ledger entries) are counted before
// and after. Replay memory (`ReplayDetection`), security events and audit entries are excluded: a
// refused request is recorded there on purpose.
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { Agent, fetch } from 'undici';
import type { Db } from '../../src/store/db.ts';
import { readAnswer, type RawAnswer } from '../support/conformance.ts';

/** A request that takes longer than this is a hang. */
const REQUEST_TIMEOUT_MS = 10_000;

export type Answer = RawAnswer;

export async function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string }, agent: Agent): Promise<Answer> {
  const answer = await readAnswer((await fetch(url, { ...init, redirect: 'manual', dispatcher: agent, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })) as never);
  assert.ok(answer.status < 500, `${init.method ?? 'GET'} ${url.slice(0, 200)} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  return answer;
}

export function postForm(url: string, form: Record<string, string | string[]>, agent: Agent, headers: Record<string, string> = {}): Promise<Answer> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) for (const one of [value].flat()) body.append(name, one);
  return send(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers }, body: body.toString() }, agent);
}

/** The rows a request could write; equal before and after a refused one. */
export async function writtenRows(db: Db): Promise<Record<string, number>> {
  const { rows } = await sql<Record<string, number>>`
    SELECT (SELECT count(*) FROM oidc_models WHERE model <> 'ReplayDetection')::int AS oidc_models,
           (SELECT count(*) FROM consents)::int AS consents,
           (SELECT count(*) FROM transfers)::int AS transfers,
           (SELECT count(*) FROM idempotency_keys)::int AS idempotency_keys,
           (SELECT count(*) FROM journal_entries)::int AS journal_entries`.execute(db);
  return rows[0]!;
}

/** Runs `request`; when it is refused (4xx), asserts that it added no row (an expiry sweep may remove some meanwhile). */
export async function refusedWritesNothing(db: Db, request: () => Promise<Answer>): Promise<Answer> {
  const before = await writtenRows(db);
  const answer = await request();
  if (answer.status < 400) return answer;
  const after = await writtenRows(db);
  for (const [table, count] of Object.entries(after)) {
    assert.ok(count <= before[table]!, `a refused request (${answer.status} ${answer.text.slice(0, 200)}) added rows to ${table}`);
  }
  return answer;
}
