// The hottest statements, prepared once per PostgreSQL connection instead of parsed and planned at every
// call. Kysely sends each query as an unnamed statement, which PostgreSQL parses and plans anew: for the
// balances query that was 450 µs of the database's CPU per call, 80–100 µs prepared (bench scenario 1).
// A statement opts in by starting with PREPARED_MARK (preparedQuery does that); the pool's clients see
// the mark and name the statement. The names come from a fixed set of texts in the code, so each
// connection holds a bounded number of them. PGlite reads the mark as the comment it is.
import assert from 'node:assert/strict';
import { CompiledQuery } from 'kysely';
import pg from 'pg';

export const PREPARED_MARK = '/* prepared */ ';
/** Distinct prepared texts at most: more means a text that varies per call was marked, which would grow every connection without bound. */
const PREPARED_STATEMENTS_MAX = 32;

/** The compiled query, marked to be prepared on each connection that runs it. */
export function preparedQuery<R>(compiled: CompiledQuery<R>): CompiledQuery<R> {
  return CompiledQuery.raw(PREPARED_MARK + compiled.sql, [...compiled.parameters]) as CompiledQuery<R>;
}

const statementNames = new Map<string, string>();

function statementNameOf(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    assert.ok(statementNames.size < PREPARED_STATEMENTS_MAX, `more than ${PREPARED_STATEMENTS_MAX} distinct prepared statements`);
    name = `ginko_prepared_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return name;
}

/** The pool's client: a marked text with its values goes as a named statement, which pg parses once per connection. */
export class PreparingClient extends pg.Client {
  // pg's query has many overloads; only (text, values) is rewritten, everything else passes through.
  override query(...args: unknown[]): any {
    const [text, values] = args;
    if (args.length === 2 && typeof text === 'string' && text.startsWith(PREPARED_MARK) && Array.isArray(values)) {
      return super.query({ name: statementNameOf(text), text, values });
    }
    return (super.query as (...passed: unknown[]) => unknown)(...args);
  }
}
