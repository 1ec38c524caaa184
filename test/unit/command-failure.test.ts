import { describe, expect, it } from 'vitest';
import { describeCommandFailure } from '../../src/transport/command-failure.ts';

const result = (stdout: string, stderr: string) => ({ command: 'apt-get install x', exitCode: 100, stdout, stderr, stdoutBytes: Buffer.from(stdout), durationMs: 1 });

describe('describeCommandFailure', () => {
  it('shows stdout too when stderr is a bare summary (apt prints the cause on stdout)', () => {
    const text = describeCommandFailure(result('Setting up mysql-server ...\ndpkg: error processing package mysql-server\n', 'E: Sub-process /usr/bin/dpkg returned an error code (1)\n'));
    expect(text).toBe('command `apt-get install x` exited 100:\nSetting up mysql-server ...\ndpkg: error processing package mysql-server\nE: Sub-process /usr/bin/dpkg returned an error code (1)');
  });
  it('keeps to stderr when it says enough, and tails long output', () => {
    const stderr = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n');
    const text = describeCommandFailure(result('noise', stderr));
    expect(text).not.toContain('noise');
    expect(text).toContain('line 29');
    expect(text).not.toContain('line 9\n');
  });
});
