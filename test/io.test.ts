import { spawn, spawnSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReadError, readRegularFile } from '../src/io/read.js';
import { writeAtomic, writeOutput, WriteError } from '../src/io/write.js';
import { tempDirs } from './support/cli.js';

// The two doors every command uses to the disk: read only regular files under a
// cap checked first; replace only regular files, write devices and FIFOs through.

const tempDir = tempDirs('effnet-io-');

const mkfifo = (path: string) => expect(spawnSync('mkfifo', [path]).status).toBe(0);

function readError(f: () => unknown): ReadError {
  try {
    f();
  } catch (e) {
    if (e instanceof ReadError) return e;
    throw e;
  }
  throw new Error('no ReadError');
}

describe('readRegularFile', () => {
  it('refuses /dev/zero, a FIFO without a writer (without blocking) and a folder; reads a regular file', () => {
    expect(readError(() => readRegularFile('/dev/zero', '/dev/zero', { maxBytes: 1024 }))).toMatchObject({
      reason: 'not-regular',
      message: '/dev/zero is not a regular file (a device, FIFO or socket); effnet reads only regular files',
    });
    const dir = tempDir();
    mkfifo(join(dir, 'fifo'));
    expect(readError(() => readRegularFile(join(dir, 'fifo'), 'fifo', { maxBytes: 1024 })).reason).toBe('not-regular');
    expect(readError(() => readRegularFile(dir, 'dir', { maxBytes: 1024 })).message).toBe('dir is a directory, not a file');
    expect(readError(() => readRegularFile(join(dir, 'none'), 'none', { maxBytes: 1024 })).message).toBe('none: no such file');
    writeFileSync(join(dir, 'a.txt'), 'abc');
    expect(Buffer.from(readRegularFile(join(dir, 'a.txt'), 'a.txt', { maxBytes: 3 })).toString()).toBe('abc');
  });

  it('checks the cap before reading, naming the flag that raises it', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'just-over'), Buffer.alloc(2 ** 20 + 1));
    expect(readError(() => readRegularFile(join(dir, 'just-over'), 'just-over', { maxBytes: 2 ** 20 })).message).toBe('just-over is 1048577 bytes, over the 1 MiB limit');
    writeFileSync(join(dir, 'big'), Buffer.alloc(3 * 2 ** 20));
    expect(readError(() => readRegularFile(join(dir, 'big'), 'big', { maxBytes: 2 ** 20, flag: '--max-x-mib' })).message).toBe(
      'big is 3 MiB, over the 1 MiB limit; --max-x-mib raises the limit',
    );
  });
});

describe('writeOutput and writeAtomic', () => {
  it('writes a FIFO straight through to its reader, and it stays a FIFO', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'fifo');
    mkfifo(fifo);
    const reader = spawn('cat', [fifo]);
    let got = '';
    reader.stdout.on('data', (d) => (got += d));
    const closed = new Promise((r) => reader.on('close', r));
    writeOutput(fifo, 'through\n', { shown: 'fifo' });
    await closed;
    expect(got).toBe('through\n');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('refuses a dangling symlink and an input; replaces a regular file leaving no temp file', () => {
    const dir = tempDir();
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
    expect(() => writeOutput(join(dir, 'dangling'), 'x', { shown: 'dangling' })).toThrow(new WriteError('--out dangling is a dangling symbolic link'));
    writeFileSync(join(dir, 'in.txt'), 'input\n');
    symlinkSync(join(dir, 'in.txt'), join(dir, 'alias'));
    expect(() => writeOutput(join(dir, 'alias'), 'x', { shown: 'alias', inputs: [join(dir, 'in.txt')] })).toThrow(WriteError);
    expect(readFileSync(join(dir, 'in.txt'), 'utf8')).toBe('input\n');
    writeAtomic(join(dir, 'out.txt'), 'one');
    writeAtomic(join(dir, 'out.txt'), 'two');
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('two');
    expect(readdirSync(dir).sort()).toEqual(['alias', 'dangling', 'in.txt', 'out.txt']);
  });
});
