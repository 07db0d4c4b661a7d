// The bank the scenarios measure: the real composition root (startBank) on a scratch PostgreSQL
// database, with demo customers and one registered private_key_jwt TPP.
import { DEMO_CUSTOMERS } from '../src/bank/demo-data.ts';
import type { RegisteredTpp } from '../src/tpp/registry.ts';
import { startTestBank, type TestBank } from '../test/support/bank.ts';
import { createScratchDatabase, type ScratchDatabase } from '../test/support/postgres.ts';
import { TestTpp } from '../test/support/tpp.ts';

export interface BenchBank {
  bank: TestBank;
  database: ScratchDatabase;
  registered: RegisteredTpp;
  tpp: TestTpp;
  customer: { loginId: string; password: string };
  stop(): Promise<void>;
}

export async function startBenchBank(): Promise<BenchBank> {
  const database = await createScratchDatabase();
  let bank: TestBank | undefined;
  try {
    bank = await startTestBank({ DATABASE_URL: database.url });
    const registered = await bank.registerTpp('private_key_jwt');
    const tpp = await TestTpp.create(bank, registered);
    const demo = DEMO_CUSTOMERS[0]!;
    const started = bank;
    return {
      bank,
      database,
      registered,
      tpp,
      customer: { loginId: demo.loginId, password: demo.password },
      async stop() {
        await tpp.close();
        await started.stop();
        await database.drop();
      },
    };
  } catch (error) {
    await bank?.stop();
    await database.drop();
    throw error;
  }
}

/** What a worker thread needs to act as the TPP: plain data only. */
export type TppCredentials = Pick<RegisteredTpp, 'clientId' | 'metadata' | 'signingKey' | 'certificatePem' | 'privateKeyPem'>;

export function credentialsOf(registered: RegisteredTpp): TppCredentials {
  const { clientId, metadata, signingKey, certificatePem, privateKeyPem } = registered;
  return { clientId, metadata, signingKey, certificatePem, privateKeyPem };
}
