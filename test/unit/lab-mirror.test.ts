import { describe, expect, it } from 'vitest';
import { DEFAULT_MIRROR, parseDeb822Sources, parseOneLineSources, pickDebianMirror } from '../../src/lab/apt-mirror.ts';

const DEB822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

describe('apt sources parsing', () => {
  it('reads deb822 stanzas (comments inside, several suites)', () => {
    expect(parseDeb822Sources(DEB822)).toEqual([
      { uris: ['http://deb.debian.org/debian'], suites: ['bookworm', 'bookworm-updates'], components: ['main'] },
      { uris: ['http://deb.debian.org/debian-security'], suites: ['bookworm-security'], components: ['main'] },
    ]);
  });

  it('skips disabled and deb-src stanzas', () => {
    const text = 'Types: deb-src\nURIs: http://a/debian\nSuites: trixie\n\nTypes: deb\nEnabled: no\nURIs: http://b/debian\nSuites: trixie\n';
    expect(parseDeb822Sources(text)).toEqual([]);
  });

  it('reads one-line entries with options and ignores comments and deb-src', () => {
    const text = [
      '# deb http://commented/debian bookworm main',
      'deb-src http://src/debian bookworm main',
      'deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian/ bookworm main contrib',
    ].join('\n');
    expect(parseOneLineSources(text)).toEqual([{ uris: ['http://mirror.example/debian/'], suites: ['bookworm'], components: ['main', 'contrib'] }]);
  });
});

describe('pickDebianMirror', () => {
  it('takes the archive and security URIs this machine uses', () => {
    expect(pickDebianMirror(parseDeb822Sources(DEB822))).toEqual({
      archive: 'http://deb.debian.org/debian',
      security: 'http://deb.debian.org/debian-security',
    });
  });

  it('ignores third-party repositories and strips trailing slashes', () => {
    const sources = [
      { uris: ['https://deb.nodesource.com/node_20.x'], suites: ['nodistro'], components: ['main'] },
      { uris: ['http://mirror.example/debian/'], suites: ['trixie'], components: ['main'] },
    ];
    expect(pickDebianMirror(sources)).toEqual({ archive: 'http://mirror.example/debian' });
  });

  it('falls back to deb.debian.org when no Debian archive is configured', () => {
    expect(pickDebianMirror([{ uris: ['http://archive.ubuntu.com/ubuntu'], suites: ['noble'], components: ['main'] }])).toEqual(DEFAULT_MIRROR);
  });
});
