import { apt, deploy, file, mysql, service, user, x509, type HostView, type TaskList } from 'shipshape';
import { addressOf, backendCa, BACKEND_TLS, groupMembers, siteVars } from './site-vars.ts';

const NGINX_SITE = '/etc/nginx/sites-available/shipshape-app';

/**
 * `nginx -t` only checks a whole configuration: validate a site file by including it in a minimal
 * one (the site's upstream and server blocks need an http context). The file's path goes in as $1:
 * `%s` becomes a shell word of the outer command, which the single-quoted script cannot see.
 */
const NGINX_SITE_VALIDATE =
  "bash -c 'f=$(mktemp); echo \"events {} http { include /etc/nginx/mime.types; include $1; }\" > $f; nginx -t -q -c $f; r=$?; rm -f $f; exit $r' validate %s";

// Templates see the host's raw vars; give them the validated ones, defaults included.
function appTemplateVars(host: HostView, primary: string) {
  const vars = siteVars(host);
  return {
    ...vars,
    appDir: `/srv/${vars.appName}`,
    primaryAddress: isLocal(host, primary) ? '127.0.0.1' : addressOf(host, primary),
    loadBalancers: groupMembers(host, 'lb').map((lb) => addressOf(host, lb)),
    backendTls: backendCa(host) ? { port: BACKEND_TLS.port, key: BACKEND_TLS.key, cert: BACKEND_TLS.cert } : undefined,
  };
}

/** The app's settings file: where it writes (`primary`, an inventory name) and its secrets; notifies `restart app`. */
export function appSettings(host: HostView, primary: string) {
  const vars = siteVars(host);
  return file.template(
    { src: '../templates/app.env.ejs', dest: `/etc/${vars.appName}/app.env`, owner: 'root', group: vars.appUser, mode: '0640', vars: appTemplateVars(host, primary) },
    { name: 'application settings', notify: 'restart app', tags: ['app'] },
  );
}

/** Web hosts: the application deployed as a service behind Nginx (TLS on 443 for the load balancers, or plain port 80). */
export function webRole(host: HostView): TaskList {
  const vars = siteVars(host);
  const appDir = `/srv/${vars.appName}`;
  const templateVars = appTemplateVars(host, vars.mysqlPrimary);
  const ca = backendCa(host);
  return [
    apt.packages(
      { names: ['nginx', 'python3', 'python3-pymysql', 'python3-cryptography'], updateCache: true, cacheValidTime: 3600 },
      { name: 'web packages', tags: ['packages', 'web'] },
    ),
    user({ name: vars.appUser, system: true, shell: '/usr/sbin/nologin', home: appDir, createHome: false }, { name: 'application user', tags: ['app'] }),
    file.directory({ path: appDir, owner: 'root', group: 'root', mode: '0755' }, { tags: ['app'] }),
    file.directory({ path: `/etc/${vars.appName}`, owner: 'root', group: vars.appUser, mode: '0750' }, { tags: ['app'] }),
    // A web host without a database checks the live topology too before rendering where the app
    // writes (db hosts did it first in their MySQL tasks).
    !host.groups.includes('db') &&
      mysql.topology(
        { primary: vars.mysqlPrimary, hosts: groupMembers(host, 'db').map((name) => ({ name, address: addressOf(host, name) })) },
        { name: 'MySQL topology agrees with mysqlPrimary', tags: ['mysql', 'app'] },
      ),
    appSettings(host, vars.mysqlPrimary),
    appRelease(host),
    file.template(
      { src: '../templates/app.service.ejs', dest: `/etc/systemd/system/${vars.appName}.service`, mode: '0644', vars: templateVars },
      { name: 'application unit', notify: 'restart app', tags: ['app'] },
    ),
    service({ name: vars.appName, state: 'started', enabled: true, daemonReload: true }, { name: 'application running', tags: ['app'] }),
    // Before the site: Nginx's config check needs the files it names.
    ca &&
      x509.certificate(
        { ca, key: BACKEND_TLS.key, cert: BACKEND_TLS.cert, dnsNames: [host.name], ipAddresses: [addressOf(host, host.name)] },
        { name: 'backend TLS certificate', notify: 'reload nginx', tags: ['web', 'tls'] },
      ),
    file.template(
      { src: '../templates/nginx-site.conf.ejs', dest: NGINX_SITE, mode: '0644', validate: NGINX_SITE_VALIDATE, vars: templateVars },
      { name: 'nginx site', notify: 'reload nginx', tags: ['web'] },
    ),
    file.link({ src: NGINX_SITE, dest: '/etc/nginx/sites-enabled/shipshape-app' }, { name: 'nginx site enabled', notify: 'reload nginx', tags: ['web'] }),
    file.absent({ path: '/etc/nginx/sites-enabled/default' }, { name: 'nginx default site disabled', notify: 'reload nginx', tags: ['web'] }),
    service({ name: 'nginx', state: 'started', enabled: true }, { name: 'nginx running', tags: ['web'] }),
  ];
}

/** The application's code as a new release (site.ts and deploy.ts): notifies `restart app`. */
export function appRelease(host: HostView) {
  const vars = siteVars(host);
  return deploy.release(
    { src: 'files/app', dest: `/srv/${vars.appName}`, owner: 'root', group: 'root', keep: vars.appReleasesToKeep, exclude: ['__pycache__', '*.pyc'] },
    { name: 'deploy application', notify: 'restart app', tags: ['app', 'deploy'] },
  );
}

function isLocal(host: HostView, name: string): boolean {
  return host.name === name;
}

export function webHandlers(host: HostView) {
  const { appName } = siteVars(host);
  return {
    'restart app': service({ name: appName, state: 'restarted', daemonReload: true }),
    'reload nginx': service({ name: 'nginx', state: 'reloaded' }),
  };
}
