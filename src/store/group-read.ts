// Reads that arrive together go to the database together: while one batch is being read, the reads
// that arrive wait and go as the next batch, in one statement. Each statement costs the bank's thread
// and the database a fixed price (the pool, the protocol, the socket writes and wake-ups) that
// under load outweighed the read itself (bench scenario 1). Alone, a read goes at once; the batches
// grow only with the load.
import assert from 'node:assert/strict';

interface Pending<Input, Output> {
  input: Input;
  resolve: (output: Output) => void;
  reject: (error: unknown) => void;
}

export class GroupReadBacklogError extends Error {
  constructor(pendingMax: number) {
    super(`more than ${pendingMax} reads wait for the database`);
  }
}

export class GroupRead<Input, Output> {
  private pending: Pending<Input, Output>[] = [];
  /** The batches being read, until the queue is empty. */
  private reading: Promise<void> | undefined;

  /**
   * `readBatch` answers every input of a batch, in the inputs' order, from one statement.
   * `batchMax` inputs go in one statement at most; beyond `pendingMax` waiting, reads are refused at once.
   */
  constructor(
    private readonly readBatch: (inputs: readonly Input[]) => Promise<Output[]>,
    private readonly batchMax: number,
    private readonly pendingMax: number,
  ) {
    assert.ok(Number.isSafeInteger(batchMax) && batchMax >= 1 && pendingMax >= batchMax, 'group read bounds');
  }

  read(input: Input): Promise<Output> {
    if (this.pending.length >= this.pendingMax) return Promise.reject(new GroupReadBacklogError(this.pendingMax));
    return new Promise<Output>((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      this.reading ??= this.readAll();
    });
  }

  private async readAll(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.batchMax);
      try {
        const outputs = await this.readBatch(batch.map((read) => read.input));
        assert.equal(outputs.length, batch.length, 'a group read answered a different number of reads');
        batch.forEach((read, i) => read.resolve(outputs[i]!));
      } catch (error) {
        for (const read of batch) read.reject(error);
      }
    }
    this.reading = undefined;
  }
}
