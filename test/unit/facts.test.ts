import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFacts, parseIpAddr } from '../../src/facts/parse.ts';
import { parseOsRelease } from '../../src/facts/os-release.ts';
import { splitSections } from '../../src/facts/sections.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/facts/${name}`, import.meta.url), 'utf8');

describe('parseFacts', () => {
  it('reads a Debian 13 container (recorded output)', () => {
    expect(parseFacts(fixture('debian13-container.txt'))).toEqual({
      os: { id: 'debian', version: '13', codename: 'trixie', name: 'Debian GNU/Linux 13 (trixie)', family: ['debian'] },
      kernel: '6.18.44-fc-v595',
      arch: 'x86_64',
      hostname: 'web-01',
      fqdn: 'web-01',
      ipv4: ['172.17.0.2'],
      ipv6: [],
      defaultIpv4: '172.17.0.2',
      init: 'systemd',
      packageManager: 'apt',
      cpus: 2,
      memoryMb: 24106,
      user: 'root',
    });
  });

  it('reads an Ubuntu-like VM: family from ID_LIKE, fqdn, IPv6 without link-local, default route interface', () => {
    const facts = parseFacts(fixture('ubuntu-like-vm.txt'));
    expect(facts.os).toEqual({ id: 'ubuntu', version: '24.04', codename: 'noble', name: 'Ubuntu 24.04.2 LTS', family: ['debian', 'ubuntu'] });
    expect(facts.fqdn).toBe('db-01.prod.example.org');
    expect(facts.ipv4).toEqual(['203.0.113.10', '10.0.0.3', '172.17.0.1']);
    expect(facts.ipv6).toEqual(['2001:db8:10::a']);
    expect(facts.defaultIpv4).toBe('203.0.113.10');
    expect(facts.arch).toBe('aarch64');
    expect(facts.memoryMb).toBe(7756);
    expect(facts.user).toBe('deploy');
  });

  it('degrades when tools are missing: no ip, no hostname -f, no systemd', () => {
    const facts = parseFacts('@@os-release\nID=alpine\nVERSION_ID=3.20.0\n@@kernel\n6.1\n@@arch\nx86_64\n@@hostname\nbox\n@@fqdn\n@@addr\n@@route\n@@init\ninit\n@@pkg\napk\n@@nproc\n1\n@@meminfo\nMemTotal: 1024 kB\n@@user\nroot\n@@end\n');
    expect(facts.fqdn).toBe('box');
    expect(facts.ipv4).toEqual([]);
    expect(facts.defaultIpv4).toBeUndefined();
    expect(facts.init).toBe('other');
    expect(facts.packageManager).toBe('apk');
    expect(facts.os.codename).toBe('');
    expect(facts.memoryMb).toBe(1);
  });
});

describe('fact helpers', () => {
  it('unquotes os-release values with escapes', () => {
    expect(parseOsRelease('NAME="A \\"quoted\\" name"\nID=\'x\'\n# comment\nBAD LINE')).toEqual({ NAME: 'A "quoted" name', ID: 'x' });
  });

  it('keeps interface names with @peer out of the device', () => {
    expect(parseIpAddr('5: eth0@if6    inet 10.1.2.3/24 brd 10.1.2.255 scope global eth0')).toEqual([
      { device: 'eth0', family: 'inet', address: '10.1.2.3', prefix: 24, scope: 'global' },
    ]);
  });

  it('splits sections and ignores text before the first marker', () => {
    const sections = splitSections('noise\n@@a\n1\n2\n@@b\n@@c\nx');
    expect([...sections.entries()]).toEqual([['a', '1\n2'], ['b', ''], ['c', 'x']]);
  });
});
