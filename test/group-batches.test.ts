// Group batches (store/group-batches.ts): a call alone goes at once; calls that arrive while a batch is
// in flight go together as the next one, each answered with its own output; a failed batch fails
// only its own calls; a backlog beyond the bound is refused; settled() waits for everything submitted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BacklogError, GroupBatches } from '../src/store/group-batches.ts';

/** A reader that doubles its inputs and records the batches it was given; `fail` rejects a batch holding it. */
function doubling(fail?: number) {
  const batches: number[][] = [];
  const reader = new GroupBatches<number, number>(
    async (inputs) => {
      batches.push([...inputs]);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (fail !== undefined && inputs.includes(fail)) throw new Error(`batch with ${fail}`);
      return inputs.map((input) => input * 2);
    },
    { batchMax: 3, pendingMax: 7, what: 'doublings' },
  );
  return { reader, batches };
}

test('the first read goes alone, the ones arriving meanwhile go together, at most batchMax at once', async () => {
  const { reader, batches } = doubling();
  const outputs = await Promise.all([1, 2, 3, 4, 5].map((input) => reader.submit(input)));
  assert.deepEqual(outputs, [2, 4, 6, 8, 10]);
  assert.deepEqual(batches, [[1], [2, 3, 4], [5]]);
  assert.equal(await reader.submit(6), 12, 'after the queue emptied, a read goes at once again');
  assert.deepEqual(batches.at(-1), [6]);
});

test('a failed batch rejects its own reads only', async () => {
  const { reader } = doubling(3);
  const settled = await Promise.allSettled([1, 2, 3, 4, 5].map((input) => reader.submit(input)));
  assert.deepEqual(
    settled.map((s) => s.status),
    ['fulfilled', 'rejected', 'rejected', 'rejected', 'fulfilled'],
  );
});

test('beyond pendingMax waiting, a read is refused at once', async () => {
  const { reader } = doubling();
  // The first leaves the queue at once (its batch is being read); seven more fill it.
  const accepted = Array.from({ length: 8 }, (_, i) => reader.submit(i));
  await assert.rejects(reader.submit(99), BacklogError);
  assert.equal((await Promise.all(accepted)).length, 8);
});
