// Unpacks a .tar.gz (PGlite's archive of the kept cluster, pglite-template.ts) into a folder as it streams
// from disk, a chunk at a time: once per template, so that each new data folder is then a plain file copy.
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';

const BLOCK_BYTES = 512;
/** Limits: the template holds ~1,100 entries and ~40 MB; anything far beyond is not ours. */
const MAX_ENTRIES = 20_000;
const MAX_TOTAL_BYTES = 1024 * 1024 * 1024;
const TYPE_FILE = new Set(['0', '\0']);
const TYPE_DIRECTORY = '5';

interface Entry {
  path: string;
  sizeBytes: number;
  mode: number;
  type: string;
}

function field(header: Buffer, offset: number, length: number): string {
  const bytes = header.subarray(offset, offset + length);
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? length : end).toString('utf8');
}

function octal(header: Buffer, offset: number, length: number): number {
  const text = field(header, offset, length).trim();
  const value = text === '' ? 0 : Number.parseInt(text, 8);
  assert.ok(Number.isSafeInteger(value) && value >= 0, `tar header: bad number ${JSON.stringify(text)}`);
  return value;
}

/** A ustar header; undefined for the zero block that ends the archive. */
function parseHeader(header: Buffer, intoDir: string): Entry | undefined {
  if (header.every((byte) => byte === 0)) return undefined;
  assert.equal(field(header, 257, 5), 'ustar', 'not a ustar archive');
  // The writer (PGlite's tinytar) keeps a 131-byte name prefix at 345; its names are short and leave it empty.
  const prefix = field(header, 345, 131);
  const name = prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100);
  const relative = normalize(name.replace(/^\/+/, ''));
  // Nothing may land outside the folder being filled.
  assert.ok(relative !== '' && relative !== '.' && !relative.startsWith('..'), `tar entry outside the folder: ${name}`);
  return { path: join(intoDir, relative), sizeBytes: octal(header, 124, 12), mode: octal(header, 100, 8) & 0o777, type: field(header, 156, 1) || '\0' };
}

/** Unpacks `archiveFile` (gzip-compressed ustar, regular files and folders only) into `intoDir`, which must exist. */
export async function unpackTarGz(archiveFile: string, intoDir: string): Promise<void> {
  let pending: Buffer = Buffer.alloc(0);
  let entry: Entry | undefined;
  let file: FileHandle | undefined;
  let remainingBytes = 0;
  let paddingBytes = 0;
  let entries = 0;
  let totalBytes = 0;
  let ended = false;
  const inflated = createGunzip();
  // pipeline: a read error reaches the loop below, and leaving the loop early closes the file.
  pipeline(createReadStream(archiveFile), inflated, () => {});
  try {
    for await (const chunk of inflated as AsyncIterable<Buffer>) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (!ended) {
        if (entry) {
          // The file's bytes, then the padding to the next block.
          const take = Math.min(remainingBytes, pending.length);
          if (take > 0) {
            await file!.write(pending.subarray(0, take));
            pending = pending.subarray(take);
            remainingBytes -= take;
          }
          if (remainingBytes > 0) break;
          const skip = Math.min(paddingBytes, pending.length);
          pending = pending.subarray(skip);
          paddingBytes -= skip;
          if (paddingBytes > 0) break;
          await file?.close();
          file = undefined;
          entry = undefined;
          continue;
        }
        if (pending.length < BLOCK_BYTES) break;
        const next = parseHeader(pending.subarray(0, BLOCK_BYTES), intoDir);
        pending = pending.subarray(BLOCK_BYTES);
        if (!next) {
          ended = true;
          break;
        }
        entries += 1;
        totalBytes += next.sizeBytes;
        assert.ok(entries <= MAX_ENTRIES && totalBytes <= MAX_TOTAL_BYTES, 'tar archive larger than any template');
        if (next.type === TYPE_DIRECTORY) {
          await mkdir(next.path, { recursive: true, mode: next.mode });
          continue;
        }
        assert.ok(TYPE_FILE.has(next.type), `tar entry of unexpected type ${JSON.stringify(next.type)}: ${next.path}`);
        // 'wx': a name twice in the archive, or an existing file, is an error rather than an overwrite.
        file = await open(next.path, 'wx', next.mode);
        entry = next;
        remainingBytes = next.sizeBytes;
        paddingBytes = (BLOCK_BYTES - (next.sizeBytes % BLOCK_BYTES)) % BLOCK_BYTES;
      }
      if (ended) break;
    }
    assert.ok(ended, 'tar archive cut short');
  } finally {
    inflated.destroy();
    await file?.close();
  }
}
