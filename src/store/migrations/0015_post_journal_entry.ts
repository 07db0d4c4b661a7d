// One journal entry in one statement: post_journal_entry locks the entry's accounts (in account_id
// order, so entries cannot deadlock), checks the ledger's rules, writes the entry, its postings with
// their running balances and the accounts' cached balances, and returns the balances. It replaces six
// round trips of ledger.ts (bench scenario 5); ledger.ts asserts the same rules before calling it.
// Each statement of a plpgsql function reads a fresh snapshot, so the rules are checked against what
// committed before the locks were granted; the statements' plans are cached per connection.
import { sql, type Kysely } from 'kysely';

const statements = [
  `CREATE FUNCTION post_journal_entry(entry_booked_at timestamptz, entry_value_date date, entry_description text,
     entry_postings jsonb, negative_customer_balance_allowed boolean)
   RETURNS TABLE (posted_entry_id bigint, posted_balance_after_yen bigint) LANGUAGE plpgsql AS $$
   DECLARE
     -- The JST (UTC+9) calendar date of the booking, as verifyLedger computes it.
     transaction_date_jst date := ((entry_booked_at AT TIME ZONE 'UTC') + interval '9 hours')::date;
     account_ids text[];
     amounts bigint[];
     remarks_texts text[];
     distinct_ids text[];
     balances_after bigint[];
     locked_count int;
     late_account text;
     overdrawn record;
     new_entry_id bigint;
   BEGIN
     SELECT array_agg(p ->> 'accountId' ORDER BY i), array_agg((p ->> 'amountYen')::bigint ORDER BY i), array_agg(p ->> 'remarks' ORDER BY i)
       INTO account_ids, amounts, remarks_texts
       FROM jsonb_array_elements(entry_postings) WITH ORDINALITY AS e(p, i);
     IF coalesce(cardinality(amounts), 0) NOT BETWEEN 2 AND 100 THEN
       RAISE EXCEPTION 'an entry has 2 to 100 postings';
     END IF;
     IF (SELECT sum(a) FROM unnest(amounts) AS a) <> 0 OR 0 = ANY (amounts) OR array_position(account_ids, NULL) IS NOT NULL THEN
       RAISE EXCEPTION 'journal entry postings must name an account, be non-zero and sum to zero';
     END IF;

     distinct_ids := ARRAY(SELECT DISTINCT id FROM unnest(account_ids) AS id ORDER BY id);
     PERFORM account_id FROM accounts WHERE account_id = ANY (distinct_ids) ORDER BY account_id FOR UPDATE;
     GET DIAGNOSTICS locked_count = ROW_COUNT;
     IF locked_count <> cardinality(distinct_ids) THEN
       RAISE EXCEPTION 'unknown account in entry: %', array_to_string(distinct_ids, ', ');
     END IF;

     -- Postings of an account are in time order: the history's posting order and its dates never disagree.
     -- max() per account reads one index entry (postings_by_account_date) whatever the table's statistics say.
     SELECT id INTO late_account FROM unnest(distinct_ids) AS id
       WHERE (SELECT max(transaction_date) FROM postings WHERE account_id = id) > transaction_date_jst LIMIT 1;
     IF late_account IS NOT NULL THEN
       RAISE EXCEPTION 'account % already has postings after %', late_account, transaction_date_jst;
     END IF;

     SELECT array_agg(r.balance_after ORDER BY r.i) INTO balances_after FROM (
       SELECT x.i, (a.balance_yen + sum(x.amount) OVER (PARTITION BY x.account_id ORDER BY x.i))::bigint AS balance_after
         FROM unnest(account_ids, amounts) WITH ORDINALITY AS x(account_id, amount, i) JOIN accounts AS a USING (account_id)
     ) AS r;
     IF EXISTS (SELECT FROM unnest(balances_after) AS b WHERE abs(b) > 9007199254740991) THEN
       RAISE EXCEPTION 'a balance exceeds the safe integer range';
     END IF;

     -- A customer account ends at or above zero unless the entry allows an overdraft; internal accounts always may.
     SELECT a.account_id, a.balance_yen + t.total_yen AS final_yen INTO overdrawn
       FROM (SELECT account_id, sum(amount)::bigint AS total_yen FROM unnest(account_ids, amounts) AS u(account_id, amount) GROUP BY account_id) AS t
       JOIN accounts AS a USING (account_id)
       WHERE a.kind = 'customer' AND a.balance_yen + t.total_yen < 0 AND NOT negative_customer_balance_allowed
       ORDER BY a.account_id LIMIT 1;
     IF FOUND THEN
       RAISE EXCEPTION 'account % would go negative (% yen)', overdrawn.account_id, overdrawn.final_yen
         USING ERRCODE = 'GK001', DETAIL = json_build_object('accountId', overdrawn.account_id, 'balanceAfterYen', overdrawn.final_yen)::text;
     END IF;

     INSERT INTO journal_entries (booked_at, value_date, description)
       VALUES (entry_booked_at, entry_value_date, entry_description) RETURNING entry_id INTO new_entry_id;
     -- In the entry's order: posting_id orders an account's running balances.
     INSERT INTO postings (entry_id, account_id, amount_yen, balance_after_yen, booked_at, transaction_date, value_date, remarks)
       SELECT new_entry_id, x.account_id, x.amount, x.balance_after, entry_booked_at, transaction_date_jst, entry_value_date, x.remarks
         FROM unnest(account_ids, amounts, balances_after, remarks_texts) WITH ORDINALITY AS x(account_id, amount, balance_after, remarks, i)
         ORDER BY x.i;
     UPDATE accounts AS a SET balance_yen = a.balance_yen + t.total_yen
       FROM (SELECT account_id, sum(amount)::bigint AS total_yen FROM unnest(account_ids, amounts) AS u(account_id, amount) GROUP BY account_id) AS t
       WHERE a.account_id = t.account_id;
     RETURN QUERY SELECT new_entry_id, b FROM unnest(balances_after) WITH ORDINALITY AS x(b, i) ORDER BY x.i;
   END $$`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
