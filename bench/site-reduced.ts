/**
 * The flagship site without its MySQL and TLS-certificate plays: the same plays, roles and
 * arguments as playbooks/site.ts otherwise, for benches run before the MySQL/certbot parts are
 * finished (`npm run bench -- --workload reduced`). It lives one level below the project root, like
 * playbooks/, so the roles' `../templates/...` resolve to the same files; bench/files links to
 * playbooks/files for the application the web role deploys.
 */
import { definePlaybook } from 'shipshape';
import site from '../playbooks/site.ts';

const LEFT_OUT = /mysql|tls certificate/i;

export default definePlaybook({
  name: 'site (reduced: no MySQL, no certificate)',
  plays: site.plays.filter((play) => !LEFT_OUT.test(play.name)),
});
