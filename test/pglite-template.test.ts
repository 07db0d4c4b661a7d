// A fresh embedded store on disk starts from a copy of the kept, migrated cluster (store/pglite-template.ts),
// and the archive is unpacked as it streams (store/unpack-tar.ts).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { openStore } from '../src/store/db.ts';
import { unpackTarGz } from '../src/store/unpack-tar.ts';

const workDir = mkdtempSync(join(tmpdir(), 'ginko-template-test-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

/** A ustar header as PGlite's writer makes them (name, mode, size, type; checksum unchecked by the reader). */
function header(name: string, sizeBytes: number, type: '0' | '5', mode: number): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 'utf8');
  block.write(`${mode.toString(8).padStart(7, '0')}\0`, 100, 'ascii');
  block.write(`${sizeBytes.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  block.write(type, 156, 'ascii');
  block.write('ustar\x0000', 257, 'ascii');
  return block;
}

function archive(entries: { name: string; type: '0' | '5'; data?: Buffer }[]): string {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.data ?? Buffer.alloc(0);
    blocks.push(header(entry.name, data.length, entry.type, entry.type === '5' ? 0o750 : 0o600), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  const file = join(workDir, `archive-${blocks.length}-${entries[0]!.name.replaceAll('/', '_')}.tar.gz`);
  writeFileSync(file, gzipSync(Buffer.concat(blocks)));
  return file;
}

describe('unpackTarGz', () => {
  it('writes folders and files, across chunk boundaries, and stops at the end of the archive', async () => {
    const big = Buffer.alloc(200_000, 7);
    const file = archive([
      { name: '/base', type: '5' },
      { name: '/base/1', type: '5' },
      { name: '/base/1/1259', type: '0', data: big },
      { name: '/PG_VERSION', type: '0', data: Buffer.from('17\n') },
      { name: '/empty', type: '0' },
    ]);
    const into = join(workDir, 'unpacked');
    mkdirSync(into);
    await unpackTarGz(file, into);
    assert.deepEqual(readFileSync(join(into, 'base', '1', '1259')), big);
    assert.equal(readFileSync(join(into, 'PG_VERSION'), 'utf8'), '17\n');
    assert.equal(readFileSync(join(into, 'empty')).length, 0);
    assert.deepEqual(readdirSync(into).sort(), ['PG_VERSION', 'base', 'empty']);
  });

  it('refuses an entry outside the folder', async () => {
    const into = join(workDir, 'escape');
    mkdirSync(into);
    await assert.rejects(unpackTarGz(archive([{ name: '../outside', type: '0', data: Buffer.from('x') }]), into), /outside the folder/);
    assert.equal(existsSync(join(workDir, 'outside')), false);
  });

  it('refuses an archive cut short', async () => {
    const whole = Buffer.concat([header('/file', 1000, '0', 0o600), Buffer.alloc(100)]);
    const file = join(workDir, 'short.tar.gz');
    writeFileSync(file, gzipSync(whole));
    const into = join(workDir, 'short');
    mkdirSync(into);
    await assert.rejects(unpackTarGz(file, into), /cut short/);
  });
});

describe('a fresh store on disk', () => {
  it('starts migrated from the template, leaves nothing half-made, and opens again as is', async () => {
    const dataDir = join(workDir, 'data');
    const store = await openStore({ dataDir });
    await store.close();
    assert.ok(existsSync(join(dataDir, 'pgdata', 'PG_VERSION')));
    assert.deepEqual(readdirSync(dataDir), ['pgdata']);
    // Opening without migrating fails on a schema that lacks any migration.
    const again = await openStore({ dataDir, migrate: false });
    await again.close();
  });
});
