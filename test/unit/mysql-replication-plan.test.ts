import { describe, expect, it } from 'vitest';
import type { ReplicaStatus } from '../../src/modules/mysql/dialect.ts';
import { planReplication, withTls, type WantedSource } from '../../src/modules/mysql/replication-plan.ts';

const want: WantedSource = { sourceHost: '10.0.0.1', sourcePort: 3306, user: 'repl', autoPosition: true, getSourcePublicKey: true };
const running: ReplicaStatus = {
  host: '10.0.0.1', port: 3306, user: 'repl', ioRunning: 'Yes', sqlRunning: 'Yes', lastIoError: '', lastSqlError: '', autoPosition: true, getSourcePublicKey: true, sslAllowed: true,
};

describe('planReplication', () => {
  it('unconfigured with seedFrom: seed, configure, start', () => {
    const plan = planReplication(undefined, { ...want, seedFrom: 'web-01', databases: ['app'], users: [{ name: 'app', host: '%' }] }, undefined);
    expect(plan).toEqual({
      ok: true,
      steps: [{ kind: 'seed', from: 'web-01', databases: ['app'], users: [{ name: 'app', host: '%' }] }, { kind: 'configure', reconfigure: false }, { kind: 'start' }],
      lines: ["seed from web-01 (app; users 'app'@'%')", 'configure source 10.0.0.1:3306 as repl', 'start replica'],
    });
  });

  it('unconfigured without seedFrom: configure and start only', () => {
    expect(planReplication(undefined, want, undefined)).toMatchObject({ lines: ['configure source 10.0.0.1:3306 as repl', 'start replica'] });
  });

  it('running with the same settings: nothing', () => {
    expect(planReplication(running, want, true)).toEqual({ ok: true, steps: [], lines: [] });
  });

  it('stopped threads without an error: start them', () => {
    expect(planReplication({ ...running, ioRunning: 'No', sqlRunning: 'No' }, want, true)).toMatchObject({
      steps: [{ kind: 'start' }],
      lines: ['start replica threads (IO and SQL stopped)'],
    });
  });

  it('a thread still connecting without an error is left alone', () => {
    expect(planReplication({ ...running, ioRunning: 'Connecting' }, want, true)).toMatchObject({ steps: [] });
  });

  it('broken replication with the wanted settings is a failure with the server text', () => {
    const plan = planReplication({ ...running, sqlRunning: 'No', lastSqlError: "Duplicate entry '1' for key 't.PRIMARY'" }, want, true);
    expect(plan).toEqual({ ok: false, error: "replication from 10.0.0.1:3306 is broken: SQL thread: Duplicate entry '1' for key 't.PRIMARY'" });
  });

  it('different source, user or password: reconfigure (which also clears an old error)', () => {
    const broken = { ...running, ioRunning: 'Connecting', lastIoError: 'Access denied for user repl' };
    expect(planReplication(broken, want, false)).toMatchObject({ ok: true, lines: ['reconfigure source 10.0.0.1:3306 as repl (password differs)', 'start replica'] });
    expect(planReplication({ ...running, host: '10.0.0.9', user: 'old' }, want, true)).toMatchObject({
      lines: ['reconfigure source 10.0.0.1:3306 as repl (source was 10.0.0.9:3306, user was old)', 'start replica'],
    });
  });

  it('auto-position, public key and ssl count when the server reports them', () => {
    expect(planReplication({ ...running, autoPosition: false }, want, true)).toMatchObject({ lines: [expect.stringContaining('auto-position was off'), 'start replica'] });
    expect(planReplication({ ...running, getSourcePublicKey: false }, want, true)).toMatchObject({ lines: [expect.stringContaining('get-source-public-key was off'), 'start replica'] });
    expect(planReplication(running, { ...want, ssl: false }, true)).toMatchObject({ lines: [expect.stringContaining('ssl was on'), 'start replica'] });
    expect(planReplication({ ...running, autoPosition: undefined, getSourcePublicKey: undefined }, want, undefined)).toMatchObject({ steps: [] });
  });

  describe('TLS with the source pinned to its CA', () => {
    const tls: WantedSource = { ...want, ssl: true, sslCa: '/etc/mysql/shipshape-source-ca.pem', sslCaFrom: 'db-1' };
    const plan = (status: ReplicaStatus | undefined, current: boolean) => {
      const w = { ...tls, sslCaCurrent: current };
      return withTls(planReplication(status, w, status ? true : undefined), w);
    };
    const verified = { ...running, sslCaFile: '/etc/mysql/shipshape-source-ca.pem' };

    it('an existing plain-text replica: CA written, reconfigured over TLS, restarted', () => {
      expect(plan({ ...running, sslAllowed: false, sslCaFile: '' }, false)).toEqual({
        ok: true,
        steps: [{ kind: 'trust' }, { kind: 'configure', reconfigure: true }, { kind: 'start' }],
        lines: [
          "trust db-1's MySQL CA for replication (/etc/mysql/shipshape-source-ca.pem)",
          'reconfigure source 10.0.0.1:3306 as repl over TLS (ssl was off, the source was not verified against a CA)',
          'start replica',
        ],
      });
    });

    it('TLS without the CA file named in the replica: reconfigured', () => {
      expect(plan({ ...running, sslCaFile: '' }, true)).toMatchObject({
        steps: [{ kind: 'configure', reconfigure: true }, { kind: 'start' }],
        lines: [expect.stringContaining('(the source was not verified against a CA)'), 'start replica'],
      });
    });

    it('a new CA on the source (reinstalled): the file is rewritten and the IO thread reconnects', () => {
      expect(plan(verified, false)).toMatchObject({
        steps: [{ kind: 'trust' }, { kind: 'configure', reconfigure: true }, { kind: 'start' }],
        lines: [expect.stringContaining('trust db-1'), expect.stringContaining('(source CA changed)'), 'start replica'],
      });
    });

    it('a fresh replica trusts the CA before its first connection', () => {
      expect(plan(undefined, false)).toMatchObject({
        lines: [expect.stringContaining('trust db-1'), 'configure source 10.0.0.1:3306 as repl over TLS', 'start replica'],
        steps: [{ kind: 'trust' }, { kind: 'configure', reconfigure: false }, { kind: 'start' }],
      });
    });

    it('everything as wanted: nothing', () => {
      expect(plan(verified, true)).toEqual({ ok: true, steps: [], lines: [] });
    });
  });
});
