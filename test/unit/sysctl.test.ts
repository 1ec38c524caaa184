import { describe, expect, it } from 'vitest';
import { sysctlSchema } from '../../src/modules/sysctl/sysctl.ts';
import { normalizeValue, parseSysctlFile, setSysctlLine } from '../../src/modules/sysctl/parse.ts';


describe('sysctl.d file parser', () => {
  it('reads key = value lines, skips comments, reads slashes as dots and a leading -', () => {
    const text = ['# comment', '; other comment', 'net.ipv4.ip_forward=1', ' -net/ipv4/ip_nonlocal_bind = 1 ', 'kernel.sysrq =  0', 'not a setting', ''].join('\n');
    expect([...parseSysctlFile(text)]).toEqual([
      ['net.ipv4.ip_forward', '1'],
      ['net.ipv4.ip_nonlocal_bind', '1'],
      ['kernel.sysrq', '0'],
    ]);
  });

  it('compares multi-value keys by words (sysctl -n prints tabs)', () => {
    expect(normalizeValue('32768\t60999\n')).toBe('32768 60999');
  });

  it('replaces the key in place, drops a later duplicate, keeps the rest, or appends', () => {
    const text = '# keep me\nnet.ipv4.ip_nonlocal_bind = 0\nkernel.sysrq = 0\nnet/ipv4/ip_nonlocal_bind=0\n';
    expect(setSysctlLine(text, 'net.ipv4.ip_nonlocal_bind', '1')).toBe('# keep me\nnet.ipv4.ip_nonlocal_bind = 1\nkernel.sysrq = 0\n');
    expect(setSysctlLine('', 'kernel.sysrq', '1')).toBe('kernel.sysrq = 1\n');
    expect(setSysctlLine('a.b = 2', 'kernel.sysrq', '1')).toBe('a.b = 2\nkernel.sysrq = 1\n');
  });
});

// The planner's cases are data: test/fixtures/planners/sysctl.json (planner-fixtures.test.ts).
describe('sysctl arguments', () => {
  it('refuses a file outside /etc/sysctl.d and a key with a space', () => {
    expect(sysctlSchema.safeParse({ key: 'a.b', value: 1, file: '/etc/passwd' }).success).toBe(false);
    expect(sysctlSchema.safeParse({ key: 'a b', value: 1 }).success).toBe(false);
    expect(sysctlSchema.parse({ key: 'net/ipv4/ip_forward', value: 1 }).key).toBe('net.ipv4.ip_forward');
  });
});
