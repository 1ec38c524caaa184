/**
 * The floor's probe scripts: for one host, everything the site's plans read (packages, apt cache
 * age, file hashes/modes/owners, links, users, service states, firewall config and whether its
 * rules are loaded; for the full site also MySQL's settings, accounts and replication status, and the
 * certificate, its renewal settings and the HAProxy PEM's hash), in the cheapest commands a person would write by hand.
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
    // mysql.config checks the running values too; the primary's database, accounts (hash and
    // grants); the replica's source settings, threads and errors, and its stored source password's
    // digest (compared on the controller, as mysql.replication does).
    const settings = `SHOW GLOBAL VARIABLES WHERE Variable_name IN ('server_id','bind_address','log_bin_basename','binlog_format','gtid_mode','enforce_gtid_consistency','skip_name_resolve','read_only','super_read_only')`;
    lines.push(
      host.isPrimary
        ? `mysql -N -e "${settings}; SHOW DATABASES; SELECT user, host, plugin, authentication_string FROM mysql.user; SHOW GRANTS FOR 'app'@'%'; SHOW GRANTS FOR 'replication'@'%'"`
        : `mysql -E -e "${settings}; SHOW REPLICA STATUS; SELECT SHA2(CONCAT('0123456789abcdef', User_password), 256) FROM mysql.slave_master_info WHERE Channel_name = ''"`,
    );
  }
  if (workload === 'site' && inGroup('lb')) {
    // The certificate (names, expiry, issuer), certbot's renewal settings, the deploy hook, the
    // HAProxy PEM against the live files (hash and mode), the CA bundle and drop-in, the timer.
    lines.push(
      'for c in /etc/letsencrypt/live/*/cert.pem; do openssl x509 -noout -enddate -issuer -ext subjectAltName -in "$c"; done',
      'cat /etc/letsencrypt/renewal/*.conf',
      'sha256sum /etc/letsencrypt/renewal-hooks/deploy/* /etc/letsencrypt/shipshape/ca-bundle.pem /etc/systemd/system/certbot.service.d/shipshape-ca-bundle.conf',
      'cat /etc/letsencrypt/live/*/fullchain.pem /etc/letsencrypt/live/*/privkey.pem | sha256sum',
      'sha256sum < /etc/haproxy/certs/site.pem',
      'systemctl show -p Id,ActiveState,UnitFileState certbot.timer',
    );
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
