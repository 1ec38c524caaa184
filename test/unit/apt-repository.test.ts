import { describe, expect, it } from 'vitest';
import { parseFiles, readFilesScript } from '../../src/facts/file-contents.ts';
import { renderDeb822, renderPin, wantedFiles } from '../../src/modules/apt/repository-files.ts';
import { aptRepositorySchema } from '../../src/modules/apt/repository-schema.ts';

const parse = (input: Record<string, unknown>) => aptRepositorySchema.parse({ name: 'sid', ...input });

describe('apt.repository files', () => {
  it('writes a one-line source to NAME.list and a codename pin', () => {
    const files = wantedFiles(parse({ source: 'deb [check-valid-until=no] http://deb.debian.org/debian sid main', pin: { release: 'sid', priority: 100 } }));
    expect(files).toEqual({
      list: 'deb [check-valid-until=no] http://deb.debian.org/debian sid main\n',
      sources: null,
      pin: 'Package: *\nPin: release n=sid\nPin-Priority: 100\n',
    });
  });

  it('renders deb822 with an embedded key as continuation lines', () => {
    const text = renderDeb822(
      parse({ source: { uris: ['https://repo.example.org/apt'], suites: ['stable'], components: ['main'], signedBy: '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBF\n-----END PGP PUBLIC KEY BLOCK-----', checkValidUntil: false } })
        .source as never,
    );
    expect(text).toBe(
      'Types: deb\nURIs: https://repo.example.org/apt\nSuites: stable\nComponents: main\nCheck-Valid-Until: no\nSigned-By: -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n mQINBF\n -----END PGP PUBLIC KEY BLOCK-----\n',
    );
  });

  it('uses release expressions and origins as written', () => {
    expect(renderPin({ release: 'o=Debian,a=unstable', packages: 'mysql-*', priority: 500 })).toBe('Package: mysql-*\nPin: release o=Debian,a=unstable\nPin-Priority: 500\n');
    expect(renderPin({ origin: 'repo.example.org', packages: '*', priority: 900 })).toContain('Pin: origin repo.example.org\n');
  });

  it('removes every file it owns with state absent', () => {
    expect(wantedFiles(parse({ source: 'deb http://x/ y z', state: 'absent' }))).toEqual({ list: null, sources: null, pin: null });
  });

  it('rejects names apt would ignore and ambiguous pins', () => {
    expect(aptRepositorySchema.safeParse({ name: 'my.repo', source: 'deb http://x/ y z' }).success).toBe(false);
    expect(aptRepositorySchema.safeParse({ name: 'r', source: 'http://x/ y z' }).success).toBe(false);
    expect(aptRepositorySchema.safeParse({ name: 'r', source: 'deb http://x/ y z', pin: { release: 'a', origin: 'b', priority: 1 } }).success).toBe(false);
  });

  it('reads several files in one probe, content intact whatever it contains', () => {
    const script = readFilesScript({ list: '/etc/apt/sources.list.d/a b.list', pin: '/etc/apt/preferences.d/a' });
    expect(script[0]).toContain("test -f '/etc/apt/sources.list.d/a b.list'");
    const tricky = '@@pin\nline two\n';
    expect(parseFiles(`@@list\n${Buffer.from(tricky).toString('base64')}\n@@pin-missing\n`, ['list', 'pin'])).toEqual({ list: tricky, pin: null });
  });
});
