/**
 * The probe command run by a local bash against a temporary directory: the real shell text, no
 * container. Checks what it prints for each kind of path and that content is read only when needed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/modules/file/content.ts';
import { insideDriftCommand, directorySchema } from '../../src/modules/file/directory.ts';
import { parseProbe, probeCommand, probeField, type ProbeOptions } from '../../src/modules/file/probe.ts';

const dir = mkdtempSync(path.join(tmpdir(), "shipshape probe 'quoted' "));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runProbe(target: string, options: ProbeOptions = {}): { output: Buffer; exitCode: number } {
  const result = spawnSync('bash', ['-c', probeCommand(target, options)]);
  return { output: result.stdout, exitCode: result.status ?? -1 };
}

describe('probe command', () => {
  it('reports an absent path', () => {
    const { output, exitCode } = runProbe(path.join(dir, 'missing'));
    expect(exitCode).toBe(0);
    expect(parseProbe(output)).toEqual({ kind: 'absent' });
  });

  it('reads stat and sha256, and no content when the hash matches', () => {
    const file = path.join(dir, 'same.conf');
    writeFileSync(file, 'hello\n', { mode: 0o640 });
    const state = parseProbe(runProbe(file, { content: { unlessSha256: sha256(Buffer.from('hello\n')), maxBytes: 1000 } }).output);
    expect(state).toMatchObject({ kind: 'file', mode: '0640', size: 6, sha256: sha256(Buffer.from('hello\n')) });
    expect(state).not.toHaveProperty('content');
  });

  it('reads binary content byte for byte when the hash differs', () => {
    const file = path.join(dir, 'binary.bin');
    const bytes = Buffer.from([0, 10, 45, 45, 99, 111, 110, 10, 255, 254]);
    writeFileSync(file, bytes);
    const state = parseProbe(runProbe(file, { content: { unlessSha256: 'different', maxBytes: 1000 } }).output);
    expect(state.kind).toBe('file');
    expect((state as { content: Buffer }).content.equals(bytes)).toBe(true);
  });

  it('does not read a file larger than the limit', () => {
    const file = path.join(dir, 'big.txt');
    writeFileSync(file, 'x'.repeat(2000));
    const state = parseProbe(runProbe(file, { content: { unlessSha256: 'different', maxBytes: 1000 } }).output);
    expect(state).toMatchObject({ kind: 'file', size: 2000 });
    expect(state).not.toHaveProperty('content');
  });

  it('reads an empty file as empty content', () => {
    const file = path.join(dir, 'empty');
    writeFileSync(file, '');
    const state = parseProbe(runProbe(file, { content: 'always' }).output);
    expect(state).toMatchObject({ kind: 'file', size: 0 });
    expect((state as { content: Buffer }).content.length).toBe(0);
  });

  it('reports a link without following it, and its target when following', () => {
    const target = path.join(dir, 'target-dir');
    mkdirSync(target);
    const link = path.join(dir, 'link');
    symlinkSync(target, link);
    expect(parseProbe(runProbe(link).output)).toMatchObject({ kind: 'link', linkTarget: target });
    expect(parseProbe(runProbe(link, { follow: true }).output)).toMatchObject({ kind: 'directory' });
  });

  it('counts drifting entries inside a directory in the same command', () => {
    const tree = path.join(dir, 'tree');
    mkdirSync(path.join(tree, 'sub'), { recursive: true, mode: 0o755 });
    writeFileSync(path.join(tree, 'sub', 'f'), '');
    const args = directorySchema.parse({ path: tree, owner: 'nobody', recurse: true });
    const { output } = runProbe(tree, { follow: true, extra: `${insideDriftCommand(args)} || true` });
    expect(parseProbe(output).kind).toBe('directory');
    // sub and sub/f are owned by the test's user, not nobody.
    expect(probeField(output, 'inside')).toBe('2');
  });
});
