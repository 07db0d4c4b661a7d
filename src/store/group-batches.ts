// Calls that arrive together go to the database together: while one batch is in flight, the calls that
// arrive wait and go as the next batch, in one statement. Each statement costs the bank's thread and the
// database a fixed price (the pool, the protocol, the socket writes and wake-ups, and for a write its
// commit) that under load outweighed the work itself (bench scenario 1). Alone, a call goes at once; the
// batches grow only with the load. Balances reads (bank/accounts.ts) and the audit group commit
// (security/audit-group-commit.ts) go this way.
import assert from 'node:assert/strict';

interface Pending<Input, Output> {
  input: Input;
  resolve: (output: Output) => void;
  reject: (error: unknown) => void;
}

export class BacklogError extends Error {
  constructor(pendingMax: number, what: string) {
    super(`more than ${pendingMax} ${what} wait for the database`);
  }
}

export interface GroupBatchesBounds {
  /** Calls in one statement at most. */
  batchMax: number;
  /** Calls waiting at most; beyond it the store is not keeping up and callers are refused at once. */
  pendingMax: number;
  /** What the calls are, for the backlog's message ("audit entries"). */
  what: string;
}

export class GroupBatches<Input, Output> {
  private pending: Pending<Input, Output>[] = [];
  /** The batches in flight, until the queue is empty. */
  private running: Promise<void> | undefined;

  /** `runBatch` answers every input of a batch, in the inputs' order, from one statement. */
  constructor(
    private readonly runBatch: (inputs: readonly Input[]) => Promise<Output[]>,
    private readonly bounds: GroupBatchesBounds,
  ) {
    assert.ok(Number.isSafeInteger(bounds.batchMax) && bounds.batchMax >= 1 && bounds.pendingMax >= bounds.batchMax, 'group batch bounds');
  }

  /** Settles with this input's output once its batch has run; rejects if that batch failed. */
  submit(input: Input): Promise<Output> {
    if (this.pending.length >= this.bounds.pendingMax) return Promise.reject(new BacklogError(this.bounds.pendingMax, this.bounds.what));
    return new Promise<Output>((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      this.running ??= this.runAll();
    });
  }

  /** Resolves once every call submitted so far has run (or failed): before the store closes. */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  private async runAll(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.bounds.batchMax);
      try {
        const outputs = await this.runBatch(batch.map((call) => call.input));
        assert.equal(outputs.length, batch.length, 'a batch answered a different number of calls');
        batch.forEach((call, i) => call.resolve(outputs[i]!));
      } catch (error) {
        for (const call of batch) call.reject(error);
      }
    }
    this.running = undefined;
  }
}
