/**
 * The flagship site's inventory for three test hosts, as an operator would write it in Ansible's INI
 * format: one load balancer, two hosts that are both web and database (the first the MySQL primary).
 * Shared by every integration test that converges the whole site.
 */
import type { TestHost } from './lab-hosts.ts';

export function siteInventoryIni(options: { balancer: TestHost; appA: TestHost; appB: TestHost; domain: string; acmeServer: string; acmeCaBundle: string }): string {
  const { balancer, appA, appB } = options;
  return [
    `balancer ansible_host=${balancer.address}`,
    `app-a ansible_host=${appA.address}`,
    `app-b ansible_host=${appB.address}`,
    '',
    '[lb]',
    'balancer',
    '[web]',
    'app-a',
    'app-b',
    '[db]',
    'app-a',
    'app-b',
    '',
    '[all:vars]',
    'ansible_user=deploy',
    'ansible_become=true',
    `ansible_ssh_private_key_file=${balancer.privateKeyPath}`,
    `domains=${options.domain}`,
    'acmeEmail=ops@example.test',
    `acmeServer=${options.acmeServer}`,
    `acmeCaBundle=${options.acmeCaBundle}`,
    'mysqlPrimary=app-a',
    "mysqlAptRepository='deb http://deb.debian.org/debian sid main'",
    'mysqlAptRelease=sid',
    'mysqlAppPassword={"$env":"MYSQL_APP_PASSWORD"}',
    'mysqlReplicationPassword={"$env":"MYSQL_REPLICATION_PASSWORD"}',
    '',
  ].join('\n');
}
