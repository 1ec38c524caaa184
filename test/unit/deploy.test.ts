import { mkdtemp, writeFile, mkdir, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBundle } from '../../src/modules/deploy/bundle.ts';
import { excludedBy } from '../../src/modules/deploy/bundle.ts';
import { describeTreeDrift, parseReleaseState } from '../../src/modules/deploy/state.ts';

async function makeApp(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'shipshape-app-'));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  return dir;
}

describe('deploy bundle', () => {
  it('gives identical content the identical release id, wherever it lives', async () => {
    const a = await readBundle(await makeApp({ 'app.py': 'print(1)\n', 'static/x.css': 'a{}' }));
    const b = await readBundle(await makeApp({ 'static/x.css': 'a{}', 'app.py': 'print(1)\n' }));
    expect(a.id).toMatch(/^[0-9a-f]{12}$/);
    expect(a.id).toBe(b.id);
  });

  it('changes the id when a byte, a name or the executable bit changes', async () => {
    const base = await readBundle(await makeApp({ 'app.py': 'print(1)\n' }));
    expect((await readBundle(await makeApp({ 'app.py': 'print(2)\n' }))).id).not.toBe(base.id);
    expect((await readBundle(await makeApp({ 'main.py': 'print(1)\n' }))).id).not.toBe(base.id);
    const dir = await makeApp({ 'app.py': 'print(1)\n' });
    await chmod(path.join(dir, 'app.py'), 0o755);
    expect((await readBundle(dir)).id).not.toBe(base.id);
  });

  it('leaves out excluded paths and globs', async () => {
    const dir = await makeApp({ 'app.py': 'x', '__pycache__/a.pyc': 'y', 'notes.tmp': 'z' });
    const bundle = await readBundle(dir, ['__pycache__', '*.tmp']);
    expect(bundle.files.map((f) => f.path)).toEqual(['app.py']);
    expect(bundle.manifest).toMatch(/^[0-9a-f]{64} {2}\.\/app\.py\n$/);
  });

  it('names the missing source directory', async () => {
    await expect(readBundle('/nonexistent/app')).rejects.toThrow(/source directory \/nonexistent\/app does not exist/);
  });
});

describe('deploy release state', () => {
  it('parses current link, releases oldest first and modified files', () => {
    const state = parseReleaseState('current=releases/abc\nrelease=old1\nrelease=abc\nexists=1\nmodified=./app.py\n');
    expect(state).toEqual({ current: 'releases/abc', releases: ['old1', 'abc'], releaseExists: true, modified: ['app.py'], gone: [], extra: [], untracked: false });
  });

  it('reads a fresh host as no current release', () => {
    expect(parseReleaseState('current=\n')).toEqual({ current: null, releases: [], releaseExists: false, modified: [], gone: [], extra: [], untracked: false });
  });

  it('names tree drift: extra entries, changed modes and owners, missing files; excluded extras are left alone', () => {
    const state = parseReleaseState(
      [
        'exists=1',
        'gone=f 755 root:root bin/run me',
        'gone=f 644 root:root lib/a.txt',
        'gone=f 644 root:root old.txt',
        'extra=f 644 root:root bin/run me',
        'extra=f 644 app:app lib/a.txt',
        'extra=f 644 root:root stray.txt',
        'extra=d 755 root:root lib/__pycache__',
        'extra=f 644 root:root lib/__pycache__/a.pyc',
      ].join('\n'),
    );
    expect(describeTreeDrift(state, excludedBy(['__pycache__']))).toEqual([
      'mode of bin/run me 755 → 644',
      'owner of lib/a.txt root:root → app:app',
      'extra file stray.txt',
      'missing old.txt',
    ]);
    expect(describeTreeDrift(state, excludedBy([]))).toContain('extra directory lib/__pycache__');
  });
});
