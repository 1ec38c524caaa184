import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ACME_START_SCRIPT, acmeBuildScript, acmeImageTag } from '../../src/lab/acme/recipe.ts';
import { deployHookScript } from '../../src/modules/certbot/files.ts';
import { certificatePaths, certificateSchema } from '../../src/modules/certbot/schema.ts';

/** `sh -n`: the script parses (a quoting slip in a generated script fails here, not on a host). */
function shellSyntaxError(script: string): string {
  try {
    execFileSync('sh', ['-n'], { input: script, stdio: ['pipe', 'pipe', 'pipe'] });
    return '';
  } catch (error) {
    return String((error as { stderr?: Buffer }).stderr ?? error);
  }
}

describe('lab ACME server recipe', () => {
  it('names the image after its base and recipe', () => {
    expect(acmeImageTag('shipshape-lab:aaaa')).toMatch(/^shipshape-acme:[0-9a-f]{12}$/);
    expect(acmeImageTag('shipshape-lab:aaaa')).toBe(acmeImageTag('shipshape-lab:aaaa'));
    expect(acmeImageTag('shipshape-lab:bbbb')).not.toBe(acmeImageTag('shipshape-lab:aaaa'));
  });

  it('generates shell scripts that parse', () => {
    expect(shellSyntaxError(ACME_START_SCRIPT)).toBe('');
    expect(shellSyntaxError(acmeBuildScript())).toBe('');
    const args = certificateSchema.parse({ domains: ['site.test'], email: 'a@site.test', deployHook: { haproxyPem: "/etc/haproxy/it's.pem", reloadService: 'haproxy' } });
    expect(shellSyntaxError(deployHookScript(args, certificatePaths(args))!)).toBe('');
  });

  it('starts pebble without random sleeps, nonce rejections or reused authorizations, asking its own DNS', () => {
    expect(ACME_START_SCRIPT).toContain('export PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0');
    expect(ACME_START_SCRIPT).toContain('exec pebble -config pebble.json -dnsserver 127.0.0.1:8053');
    expect(ACME_START_SCRIPT).toMatch(/"httpPort": 80,/);
  });
});
