/**
 * http.check on a real Debian 13 host serving HTTP (busybox httpd as a systemd unit): from the host
 * with curl, from the controller, waiting for a service that comes up late, and the clear failures
 * (no curl, wrong status, wrong body). It is never a change.
 */
import { describe, expect, it } from 'vitest';
import * as apt from '../../src/modules/apt/index.ts';
import * as http from '../../src/modules/http/index.ts';
import * as systemd from '../../src/modules/systemd/index.ts';
import { Secret } from '../../src/secrets/secret.ts';
import { useModuleHost } from './support/module-host.ts';

const lab = useModuleHost('http-01');
const { onHost, run } = lab;

const health = http.check({ url: 'http://127.0.0.1:8080/health', bodyContains: 'ok' });

describe('http.check', () => {
  it('fails clearly when curl is missing on the host', async () => {
    // Hide curl if the image ships it (restored right after), as on a minimal server.
    await onHost('if test -x /usr/bin/curl; then mv /usr/bin/curl /usr/bin/curl.hidden; fi');
    try {
      const result = await run(health);
      expect(result.status).toBe('failed');
      expect(result.error).toMatch(/curl is not installed on http-01: install it .* or set fromHost: false/);
    } finally {
      await onHost('if test -x /usr/bin/curl.hidden; then mv /usr/bin/curl.hidden /usr/bin/curl; fi');
    }
  });

  it('checks from the host once curl and a web server are there; never a change', async () => {
    const packages = await run(apt.packages({ names: ['curl', 'busybox'], updateCache: true, cacheValidTime: 3600 }));
    expect(packages.status, packages.error).not.toBe('failed');
    await onHost('mkdir -p /srv/www && echo "status: ok" > /srv/www/health');
    const unit = await run(
      systemd.unit({
        name: 'web',
        content: '[Unit]\nDescription=test web server\n\n[Service]\nExecStart=/bin/busybox httpd -f -p 8080 -h /srv/www\n\n[Install]\nWantedBy=multi-user.target\n',
        started: true,
      }),
    );
    expect(unit.status, unit.error).toBe('changed');

    const result = await run(http.check({ url: 'http://127.0.0.1:8080/health', bodyContains: 'ok', retries: 10, delay: 0.5 }));
    expect(result.status, result.error).toBe('ok');
    expect(result.changes).toEqual([]);
    expect(result.output).toMatchObject({ status: 200, body: 'status: ok\n' });
    expect((await run(health, { check: true })).status).toBe('ok');
  });

  it('fails naming the status or body it got', async () => {
    const missing = await run(http.check({ url: 'http://127.0.0.1:8080/missing' }));
    expect(missing.status).toBe('failed');
    expect(missing.error).toMatch(/^GET http:\/\/127\.0\.0\.1:8080\/missing \(from http-01\): status 404, expected 200/);
    expect((await run(http.check({ url: 'http://127.0.0.1:8080/missing', status: [404, 410] }))).status).toBe('ok');
    const body = await run(http.check({ url: 'http://127.0.0.1:8080/health', bodyMatches: '^status: (up|green)' }));
    expect(body.error).toMatch(/body does not match \/\^status: \(up\|green\)\/ \(body: status: ok\)/);
  });

  it('checks from the controller with fromHost: false', async () => {
    const result = await run(http.check({ url: `http://${lab.host.address}:8080/health`, fromHost: false, bodyContains: 'ok' }));
    expect(result.status, result.error).toBe('ok');
  });

  it('waits with retries for a service that comes up late, and reports the last reason when it never does', async () => {
    await onHost('systemctl stop web');
    const down = await run(http.check({ url: 'http://127.0.0.1:8080/health', retries: 2, delay: 0.2 }));
    expect(down.status).toBe('failed');
    expect(down.error).toMatch(/Failed to connect to 127\.0\.0\.1 port 8080.* after 3 attempts$/);

    // A timer starts the server later (AccuracySec: systemd's default would allow a minute's slack).
    await onHost('systemd-run --on-active=2 --timer-property=AccuracySec=100ms systemctl start web');
    const late = await run(http.check({ url: 'http://127.0.0.1:8080/health', bodyContains: 'ok', retries: 30, delay: 0.5 }));
    expect(late.status, late.error).toBe('ok');
  });

  it('sends a body beginning with @ literally, on stdin: neither a file read on the host nor in its process list', async () => {
    // A listener on the host that keeps the request it got and, while curl waits for the answer,
    // the host's process list (every process's argv).
    await onHost(
      'cat > /usr/local/bin/record-request.pl && systemd-run --unit=record-request perl /usr/local/bin/record-request.pl',
      `use IO::Socket::INET;
my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 8181, Listen => 5, ReuseAddr => 1) or die "listen: $!";
while (my $c = $s->accept) {
  my $head = '';
  while ($head !~ /\\r\\n\\r\\n/) { sysread($c, my $b, 1) or last; $head .= $b; }
  my ($len) = $head =~ /Content-Length:\\s*(\\d+)/i;
  my $body = '';
  while (length($body) < ($len // 0)) { sysread($c, my $b, $len - length($body)) or last; $body .= $b; }
  system('ps -eo args > /tmp/ps.txt');
  open(my $f, '>', '/tmp/head.txt'); print $f $head; close $f;
  open($f, '>', '/tmp/body.txt'); binmode $f; print $f $body; close $f;
  print $c "HTTP/1.0 200 OK\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\nok";
  close $c;
}
`,
    );
    const body = '@/etc/hostname\nsecond line "quoted" \\ back\tslash\r\nend-of-body-7f3a';
    const result = await run(
      http.check({
        url: 'http://127.0.0.1:8181/hook',
        method: 'POST',
        body,
        headers: { 'X-Token': new Secret('tok-9c1e-secret', 'token') },
        retries: 20,
        delay: 0.3,
      }),
    );
    expect(result.status, result.error).toBe('ok');
    expect(await onHost('cat /tmp/body.txt')).toBe(body);
    expect(await onHost('cat /tmp/head.txt')).toContain('X-Token: tok-9c1e-secret\r\n');
    const processes = await onHost('cat /tmp/ps.txt');
    expect(processes).toContain('curl ');
    for (const part of ['/etc/hostname', 'end-of-body-7f3a', 'tok-9c1e-secret']) expect(processes).not.toContain(part);
    await onHost('systemctl stop record-request');
  });
});

