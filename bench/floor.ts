/**
 * The floor's probe scripts: for one host, everything the site's plans read (packages, apt cache
 * age, file hashes/modes/owners, links, users, service states, firewall config and whether its
 * rules are loaded, MySQL replication), in the cheapest commands a person would write by hand.
 * Run as root by `sudo sh -s` over one SSH command (tools.ts runFloor).
 */
export interface FloorHost {
  groups: string[];
  /** The MySQL primary's inventory name, for the full workload. */
  isPrimary: boolean;
}

export function floorScript(host: FloorHost, workload: 'reduced' | 'site'): string {
  const inGroup = (group: string) => host.groups.includes(group);
  const packages = ['ca-certificates', 'curl', 'ufw'];
  const files: string[] = [];
  const services: string[] = [];
  const lines = ['set +e', 'export LC_ALL=C'];
  if (inGroup('web')) {
    packages.push('nginx', 'python3', 'python3-pymysql', 'python3-cryptography');
    files.push('/etc/app/app.env', '/etc/systemd/system/app.service', '/etc/nginx/sites-available/shipshape-app');
    services.push('app', 'nginx');
    lines.push(
      'getent passwd app',
      'stat -c "%n %a %U %G %F" /srv/app /etc/app /srv/app/releases',
      'readlink /srv/app/current /etc/nginx/sites-enabled/shipshape-app',
      'test -e /etc/nginx/sites-enabled/default && echo default-site-present',
      // The deployed release's content (what deploy.release compares).
      'cd /srv/app/current && find . -type f | sort | xargs sha256sum; ls /srv/app/releases',
    );
  }
  if (inGroup('lb')) {
    packages.push('haproxy', 'certbot', 'openssl');
    files.push('/etc/haproxy/haproxy.cfg');
    services.push('haproxy');
    lines.push('stat -c "%n %a %U %G %F" /etc/haproxy/certs /etc/haproxy/certs/site.pem');
  }
  if (workload === 'site' && inGroup('db')) {
    packages.push('mysql-server', 'mysql-client');
    files.push('/etc/mysql/mysql.conf.d/zz-shipshape.cnf', '/etc/apt/sources.list.d/shipshape-mysql.list', '/etc/apt/preferences.d/shipshape-mysql');
    services.push('mysql');
    lines.push(
      host.isPrimary
        ? `mysql -N -e "SHOW DATABASES; SELECT user, host, plugin, authentication_string FROM mysql.user; SHOW GRANTS FOR 'app'@'%'; SHOW GRANTS FOR 'replication'@'%'; SELECT @@server_id, @@gtid_mode, @@read_only, @@super_read_only"`
        : `mysql -E -e "SHOW REPLICA STATUS; SELECT @@server_id, @@gtid_mode, @@read_only, @@super_read_only"`,
    );
  }
  if (workload === 'site' && inGroup('lb')) {
    lines.push('for c in /etc/letsencrypt/live/*/fullchain.pem; do openssl x509 -noout -enddate -ext subjectAltName -in "$c"; done', 'systemctl is-enabled certbot.timer');
  }
  lines.unshift(
    `dpkg-query -W -f='\${Package} \${db:Status-Status} \${Version}\\n' ${packages.join(' ')}`,
    // apt's cache age (update_cache with cache_valid_time).
    'stat -c "%Y" /var/lib/apt/lists /var/cache/apt/pkgcache.bin',
    // Firewall: its configuration, its rules, and whether they are loaded in the kernel.
    'cat /etc/ufw/ufw.conf /etc/default/ufw /etc/ufw/user.rules /etc/ufw/user6.rules',
    'iptables -S ufw-user-input',
  );
  if (files.length) lines.push(`sha256sum ${files.join(' ')}`, `stat -c "%n %a %U %G" ${files.join(' ')}`);
  if (services.length) lines.push(`systemctl show -p Id,ActiveState,UnitFileState,NeedDaemonReload ${services.join(' ')}`);
  lines.push('exit 0');
  return `${lines.join('\n')}\n`;
}
