import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import type { ConnectionSettings } from '../../src/inventory/types.ts';
import { applySshConfig, parseProxyJump, sshConfigFor } from '../../src/transport/ssh-config.ts';

const CONFIG = `
Host web-*
  User deploy
  Port 2222
  IdentityFile ~/.ssh/web_%h

Host web-1
  HostName 10.0.0.11
  User ignored-first-match-wins

Host db-1
  HostName 10.0.0.21
  ProxyJump admin@bastion.example.com:2200

Host *
  IdentityFile ~/.ssh/id_default
  ProxyJump none
`;

const base: ConnectionSettings = { address: 'web-1', port: 22, user: userInfo().username, become: false, connectTimeout: 10 };

describe('ssh_config', () => {
  it('computes first-match-wins values for a host alias', () => {
    expect(sshConfigFor('web-1', CONFIG)).toEqual({
      hostName: '10.0.0.11',
      user: 'deploy',
      port: 2222,
      identityFiles: [join(homedir(), '.ssh/web_10.0.0.11'), join(homedir(), '.ssh/id_default')],
      proxyJump: undefined,
    });
    expect(sshConfigFor('db-1', CONFIG)).toMatchObject({ hostName: '10.0.0.21', proxyJump: 'admin@bastion.example.com:2200' });
    expect(sshConfigFor('other', CONFIG)).toEqual({ identityFiles: [join(homedir(), '.ssh/id_default')], hostName: undefined, user: undefined, port: undefined, proxyJump: undefined });
  });

  it('fills in what the inventory left at OpenSSH defaults, never overriding what it states', () => {
    const values = sshConfigFor('web-1', CONFIG);
    expect(applySshConfig(base, values)).toMatchObject({
      address: '10.0.0.11',
      port: 2222,
      user: 'deploy',
      privateKey: join(homedir(), '.ssh/web_10.0.0.11'),
    });
    const stated = applySshConfig({ ...base, port: 2201, user: 'ops', privateKey: '/keys/ops' }, values);
    expect(stated).toMatchObject({ address: '10.0.0.11', port: 2201, user: 'ops', privateKey: '/keys/ops' });
  });

  it('parses ProxyJump hops', () => {
    expect(parseProxyJump('admin@bastion:2200,10.0.0.1')).toEqual([
      { user: 'admin', address: 'bastion', port: 2200 },
      { user: undefined, address: '10.0.0.1', port: undefined },
    ]);
    expect(parseProxyJump('ssh://[fd00::1]:22')).toEqual([{ user: undefined, address: 'fd00::1', port: 22 }]);
    expect(() => parseProxyJump('a@b:c:d')).toThrow(ConfigError);
  });
});
