import { describe, expect, it } from 'vitest';
import { planSysctl, sysctlSchema } from '../../src/modules/sysctl/sysctl.ts';
import { normalizeValue, parseSysctlFile, setSysctlLine } from '../../src/modules/sysctl/parse.ts';

const args = (input: Record<string, unknown>) => sysctlSchema.parse({ key: 'net.ipv4.ip_nonlocal_bind', value: 1, ...input });
const lines = (plan: { changes: { description: string }[] }) => plan.changes.map((c) => c.description);

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

describe('sysctl planner', () => {
  it('plans the file and the live value when both differ', () => {
    const plan = planSysctl({ live: '0\n', fileText: '' }, args({}));
    expect(lines(plan)).toEqual(['/etc/sysctl.d/60-shipshape.conf: net.ipv4.ip_nonlocal_bind = 1', 'set net.ipv4.ip_nonlocal_bind: 0 → 1']);
    expect(plan.data).toEqual({ writeFile: 'net.ipv4.ip_nonlocal_bind = 1\n', setLive: true });
  });

  it('plans only the file when the live value is already right (a container started with --sysctl)', () => {
    const plan = planSysctl({ live: '1\n', fileText: '# x\n' }, args({}));
    expect(lines(plan)).toEqual(['/etc/sysctl.d/60-shipshape.conf: net.ipv4.ip_nonlocal_bind = 1']);
    expect(plan.data!.setLive).toBe(false);
  });

  it('plans only the live value when the file already has it', () => {
    const plan = planSysctl({ live: '0', fileText: 'net.ipv4.ip_nonlocal_bind = 1\n' }, args({}));
    expect(lines(plan)).toEqual(['set net.ipv4.ip_nonlocal_bind: 0 → 1']);
    expect(plan.data!.writeFile).toBeUndefined();
  });

  it('plans nothing when both agree, whatever the spacing', () => {
    expect(planSysctl({ live: '32768\t60999\n', fileText: 'net.ipv4.ip_local_port_range=32768   60999\n' }, args({ key: 'net.ipv4.ip_local_port_range', value: '32768 60999' })).changes).toEqual([]);
  });

  it('with live: false leaves the running kernel alone', () => {
    expect(lines(planSysctl({ live: '0', fileText: '' }, args({ live: false })))).toEqual(['/etc/sysctl.d/60-shipshape.conf: net.ipv4.ip_nonlocal_bind = 1']);
  });

  it('refuses a file outside /etc/sysctl.d and a key with a space', () => {
    expect(sysctlSchema.safeParse({ key: 'a.b', value: 1, file: '/etc/passwd' }).success).toBe(false);
    expect(sysctlSchema.safeParse({ key: 'a b', value: 1 }).success).toBe(false);
    expect(sysctlSchema.parse({ key: 'net/ipv4/ip_forward', value: 1 }).key).toBe('net.ipv4.ip_forward');
  });
});
