import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { quote, raw, sh } from '../../src/transport/quote.ts';

/** What bash makes of `printf %s <quoted>`: the round trip through a real shell. */
function throughBash(values: string[]): string[] {
  const script = values.map((value) => `printf '%s\\0' ${quote(value)}`).join('\n');
  const out = execFileSync('bash', ['--noprofile', '--norc', '-c', script]);
  return out.toString('utf8').split('\0').slice(0, -1);
}

function randomString(length: number): string {
  // Printable ASCII, shell metacharacters, whitespace, quotes, non-ASCII; never NUL (argv cannot hold it).
  const alphabet = ` \t\n!"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~abcXYZ019é€😀`;
  const chars = [...alphabet];
  return Array.from(randomBytes(length), (byte) => chars[byte % chars.length]).join('');
}

describe('quote', () => {
  it('round-trips nasty strings through bash unchanged', () => {
    const nasty = ['', ' ', "'", "''", '"', '\\', '$HOME', '$(id)', '`id`', '*', '~', '-n', '--', 'a\nb', "it's", '!', '#x', ';rm -rf /', '\t', 'é€😀'];
    expect(throughBash(nasty)).toEqual(nasty);
  });

  it('round-trips 300 random strings through bash unchanged', () => {
    const values = Array.from({ length: 300 }, (_, i) => randomString(1 + (i % 40)));
    expect(throughBash(values)).toEqual(values);
  });

  it('leaves plain words bare and quotes the rest', () => {
    expect(quote('nginx')).toBe('nginx');
    expect(quote('/etc/nginx/nginx.conf')).toBe('/etc/nginx/nginx.conf');
    expect(quote('a b')).toBe("'a b'");
    expect(quote('')).toBe("''");
  });
});

describe('sh', () => {
  it('quotes every interpolated value, arrays as words, raw() as is', () => {
    const names = ['a b', "c'd"];
    const command = sh`apt-get install -y ${names} ${raw('&&')} echo ${'$x'}`;
    expect(command).toBe(`apt-get install -y 'a b' 'c'\\''d' && echo '$x'`);
    const out = execFileSync('bash', ['-c', sh`printf '%s|' ${names} ${'$x'}`]).toString();
    expect(out).toBe("a b|c'd|$x|");
  });

  it('refuses values it cannot quote', () => {
    expect(() => sh`echo ${null}`).toThrow(TypeError);
    expect(() => sh`echo ${{}}`).toThrow(TypeError);
  });
});
