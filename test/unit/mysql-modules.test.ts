/**
 * The modules' plan/apply halves against a fake host that answers from recorded MySQL 9.7 output.
 * Checks what they would change, and that every password travels on stdin, never in a command.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TaskError } from '../../src/errors.ts';
import { coalesce } from '../../src/task/coalesce.ts';
import { configModule, replicationModule, userModule } from '../../src/modules/mysql/index.ts';
import { DEFAULT_CONFIG_PATH } from '../../src/modules/mysql/config.ts';
import { semiSyncSettings } from '../../src/modules/mysql/semisync.ts';
import { renderConfig } from '../../src/modules/mysql/settings.ts';
import type { TaskContext } from '../../src/task/types.ts';
import type { ExecOptions, ExecResult } from '../../src/transport/types.ts';
import { storedPasswordDigest } from '../../src/modules/mysql/replication.ts';
import { leakedForms } from '../integration/support/secret-forms.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/mysql/${name}`, import.meta.url), 'utf8');

interface Call {
  command: string;
  stdin: string;
}

/** A host whose mysql answers by the statement it receives. */
function fakeHost(answer: (sql: string, command: string) => string | { exitCode: number; stderr: string }) {
  const calls: Call[] = [];
  const scope = {};
  const exec = async (command: string, options: ExecOptions = {}): Promise<ExecResult> => {
    const stdin = options.stdin === undefined ? '' : options.stdin.toString();
    calls.push({ command, stdin });
    const out = answer(stdin, command);
    const result = typeof out === 'string' ? { exitCode: 0, stdout: out, stderr: '' } : { ...out, stdout: '' };
    return { command, ...result, stdoutBytes: Buffer.from(result.stdout), durationMs: 1 };
  };
  const ctx: TaskContext = {
    host: { name: 'db', vars: {}, facts: {} as TaskContext['host']['facts'], groups: [], inventory: { hosts: {}, groups: {} } },
    check: false,
    task: 'test',
    registered: {},
    baseDir: '.',
    exec,
    run: exec,
    peer: () => {
      throw new TaskError('no peers here');
    },
    coalesce: (kind, item) => coalesce(scope, true, kind, exec, item),
  };
  return { ctx, calls };
}

const authRows = fixture('auth-strings.tsv').trim().split('\n');
const appUser = `plugin\tauth\n${authRows[1]}\n`;

describe('mysql.user', () => {
  const args = (password: string) => userModule.schema.parse({ name: 'app', host: '%', password, privileges: ['ALL PRIVILEGES ON app.*', 'REPLICATION SLAVE, REPLICATION CLIENT ON *.*', 'SELECT, INSERT ON `we``ird db`.*', 'SELECT (v), UPDATE ON app.t'] });
  const host = () =>
    fakeHost((sql) => {
      if (sql.includes('FROM mysql.user')) return appUser;
      if (sql.includes('SHOW GRANTS')) return fixture('grants-app.tsv');
      return '';
    });

  it('plans nothing when the stored hash matches the password and grants match', async () => {
    const { ctx } = host();
    expect((await userModule.plan(ctx, args('app-pass'))).changes).toEqual([]);
  });

  it('plans "set password" for another password, and applies it on stdin only', async () => {
    const { ctx, calls } = host();
    const secret = 'n3w-pa$$word';
    const plan = await userModule.plan(ctx, args(secret));
    expect(plan.changes.map((c) => c.description)).toEqual(["set password for 'app'@'%'"]);
    await userModule.apply(ctx, args(secret), plan);
    const last = calls.at(-1)!;
    expect(last.stdin).toContain("ALTER USER 'app'@'%' IDENTIFIED WITH caching_sha2_password BY 'n3w-pa$$word';");
    for (const call of calls) expect(call.command).not.toContain(secret);
    expect(JSON.stringify(plan)).not.toContain(secret);
  });

  it('plans create and grants for a missing user', async () => {
    const { ctx } = fakeHost((sql) => (sql.includes('FROM mysql.user') ? 'plugin\tauth\n' : ''));
    const plan = await userModule.plan(ctx, userModule.schema.parse({ name: 'repl', host: '10.0.0.%', password: 'x', privileges: ['REPLICATION SLAVE ON *.*'] }));
    expect(plan.changes.map((c) => c.description)).toEqual(["create user 'repl'@'10.0.0.%'", "grant REPLICATION SLAVE ON *.* to 'repl'@'10.0.0.%'"]);
  });

  it('requireSsl: an account that takes plain-text logins is altered to REQUIRE SSL; one that requires it is left alone', async () => {
    const tls = (require: boolean) => userModule.schema.parse({ name: 'app', host: '%', password: 'app-pass', requireSsl: require });
    const { ctx, calls } = host();
    const plan = await userModule.plan(ctx, tls(true));
    expect(plan.changes.map((c) => c.description)).toEqual(["require TLS for 'app'@'%'"]);
    await userModule.apply(ctx, tls(true), plan);
    expect(calls.at(-1)!.stdin).toContain("ALTER USER IF EXISTS 'app'@'%' REQUIRE SSL;");
    expect((await userModule.plan(ctx, tls(false))).changes).toEqual([]);
    const requiring = fakeHost((sql) => (sql.includes('FROM mysql.user') ? `plugin\tauth\tssl_type\n${authRows[1]}\tANY\n` : ''));
    expect((await userModule.plan(requiring.ctx, tls(true))).changes).toEqual([]);
    expect((await userModule.plan(requiring.ctx, tls(false))).changes.map((c) => c.description)).toEqual(["allow 'app'@'%' without TLS"]);
    const fresh = fakeHost((sql) => (sql.includes('FROM mysql.user') ? 'plugin\tauth\tssl_type\n' : ''));
    const create = await userModule.plan(fresh.ctx, tls(true));
    expect(create.changes.map((c) => c.description)).toEqual(["create user 'app'@'%'"]);
    await userModule.apply(fresh.ctx, tls(true), create);
    expect(fresh.calls.at(-1)!.stdin).toMatch(/CREATE USER 'app'@'%' IDENTIFIED BY '.*' REQUIRE SSL;/);
  });

  it('a failed statement reports the server error without the password', async () => {
    const secret = 'hunter2-secret';
    const { ctx } = fakeHost((sql) => {
      if (sql.includes('FROM mysql.user')) return 'plugin\tauth\n';
      if (sql.includes('CREATE USER')) return { exitCode: 1, stderr: `ERROR 1290 (HY000) at line 2: read-only near '${secret}'` };
      return '';
    });
    const a = userModule.schema.parse({ name: 'app', host: '%', password: secret });
    const plan = await userModule.plan(ctx, a);
    const error = await userModule.apply(ctx, a, plan).catch((e: Error) => e);
    expect(error).toBeInstanceOf(TaskError);
    expect((error as Error).message).toContain('ERROR 1290');
    expect((error as Error).message).not.toContain(secret);
  });
});

/** sha256_password for 'abc', recorded on MySQL 9.7.4 (CREATE USER ... IDENTIFIED WITH sha256_password BY 'abc'). */
const SHA256_ABC = '2435243947290E6E3B22120D1A7D717D5649122F3C5E5D24764547756F64594D7770566A6B3953584E61314B34454B366763526D79444C7550654B504E58454A576241';
/** mysql_native_password for 'mypass' (MySQL 8.0's stored form). */
const NATIVE_MYPASS = Buffer.from('*6C8989366EAF75BB670AD8EA7A7FC1176A95CEF4').toString('hex');

/**
 * mysql.user on the servers a site meets: Ubuntu 22.04/24.04's MySQL 8.0 (root by auth_socket,
 * mysql_native_password loaded), 8.4 (mysql_native_password not loaded by default) and 9.x
 * (removed). `plugins` are the ACTIVE authentication plugins the server reports.
 */
describe('mysql.user: authentication plugins, per server', () => {
  const server = (account: { plugin: string; auth: string } | undefined, plugins: string[]) =>
    fakeHost((sql) => {
      if (sql.includes('FROM mysql.user')) return `plugin\tauth\n${account ? `${account.plugin}\t${account.auth}\n` : ''}`;
      if (sql.includes('information_schema.PLUGINS')) {
        const name = /PLUGIN_NAME = '([a-z0-9_]+)'/.exec(sql)![1];
        return plugins.includes(name) ? 'status\nACTIVE\n' : 'status\n';
      }
      return '';
    });
  const MYSQL_80 = ['caching_sha2_password', 'mysql_native_password', 'sha256_password', 'auth_socket'];
  const MYSQL_84 = ['caching_sha2_password', 'sha256_password', 'auth_socket'];
  const MYSQL_97 = ['caching_sha2_password', 'sha256_password', 'auth_socket'];
  const rootBySocket = { plugin: 'auth_socket', auth: '' };
  const parse = (input: Record<string, unknown>) => userModule.schema.parse({ name: 'root', host: 'localhost', ...input });
  const planned = async (host: ReturnType<typeof server>, input: Record<string, unknown>) =>
    (await userModule.plan(host.ctx, parse(input))).changes.map((c) => c.description);

  for (const [version, plugins] of [['8.0 (Ubuntu)', MYSQL_80], ['8.4', MYSQL_84], ['9.7', MYSQL_97]] as const) {
    it(`${version}: root by auth_socket with a password and no plugin is refused, naming host, task, account and plugin`, async () => {
      const host = server(rootBySocket, plugins);
      const error = await userModule.plan(host.ctx, parse({ password: 'x-Pw_1' })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskError);
      expect(error).toMatchObject({ host: 'db', task: 'test' });
      expect((error as Error).message).toMatch(/^'root'@'localhost': it authenticates with auth_socket, whose password shipshape cannot check: name plugin: 'auth_socket'/);
      expect(host.calls.some((c) => c.stdin.includes('ALTER USER'))).toBe(false);
    });

    it(`${version}: plugin auth_socket keeps root as it is: nothing to do`, async () => {
      expect(await planned(server(rootBySocket, plugins), { plugin: 'auth_socket', privileges: undefined })).toEqual([]);
    });

    it(`${version}: converting root (shipshape's own login) to a password plugin is refused without a login`, async () => {
      await expect(planned(server(rootBySocket, plugins), { plugin: 'caching_sha2_password', password: 'x-Pw_1' })).rejects.toThrow(
        /would lock shipshape's own login \(sudo mysql as root over the socket\) out/,
      );
      await expect(planned(server(rootBySocket, plugins), { state: 'absent' })).rejects.toThrow(/account shipshape logs in as/);
    });

    it(`${version}: with an option file to log in by, root converts and the client reads that file`, async () => {
      const host = server(rootBySocket, plugins);
      const input = { plugin: 'caching_sha2_password', password: 'x-Pw_1', login: { defaultsFile: '/root/.shipshape.cnf' } };
      const plan = await userModule.plan(host.ctx, parse(input));
      expect(plan.changes.map((c) => c.description)).toEqual(["change authentication of 'root'@'localhost' from auth_socket to caching_sha2_password"]);
      await userModule.apply(host.ctx, parse(input), plan);
      expect(host.calls.at(-1)!.stdin).toContain("ALTER USER 'root'@'localhost' IDENTIFIED WITH caching_sha2_password BY 'x-Pw_1';");
      for (const call of host.calls) expect(call.command).toMatch(/^mysql --defaults-extra-file=\/root\/\.shipshape\.cnf --batch /);
    });

    it(`${version}: another auth_socket account converts to a password plugin and back`, async () => {
      const ops = { name: 'ops', host: 'localhost' };
      const toPassword = server(rootBySocket, plugins);
      const plan = await userModule.plan(toPassword.ctx, parse({ ...ops, plugin: 'caching_sha2_password', password: 'o-Pw_2' }));
      expect(plan.changes.map((c) => c.description)).toEqual(["change authentication of 'ops'@'localhost' from auth_socket to caching_sha2_password"]);
      const back = server({ plugin: 'caching_sha2_password', auth: authRows[1].split('\t')[1] }, plugins);
      const planBack = await userModule.plan(back.ctx, parse({ ...ops, plugin: 'auth_socket' }));
      await userModule.apply(back.ctx, parse({ ...ops, plugin: 'auth_socket' }), planBack);
      expect(back.calls.at(-1)!.stdin).toContain("ALTER USER 'ops'@'localhost' IDENTIFIED WITH auth_socket;");
    });

    it(`${version}: sha256_password is checked offline; a changed password keeps the plugin`, async () => {
      const legacy = server({ plugin: 'sha256_password', auth: SHA256_ABC }, plugins);
      expect(await planned(legacy, { name: 'legacy', host: '%', password: 'abc' })).toEqual([]);
      const plan = await userModule.plan(legacy.ctx, parse({ name: 'legacy', host: '%', password: 'abd' }));
      expect(plan.changes.map((c) => c.description)).toEqual(["set password for 'legacy'@'%'"]);
      await userModule.apply(legacy.ctx, parse({ name: 'legacy', host: '%', password: 'abd' }), plan);
      expect(legacy.calls.at(-1)!.stdin).toContain("ALTER USER 'legacy'@'%' IDENTIFIED WITH sha256_password BY 'abd';");
    });
  }

  it('8.0: a mysql_native_password account is checked offline and keeps its plugin; new ones can be created with it', async () => {
    const native = server({ plugin: 'mysql_native_password', auth: NATIVE_MYPASS }, MYSQL_80);
    expect(await planned(native, { name: 'app', host: '%', password: 'mypass' })).toEqual([]);
    const plan = await userModule.plan(native.ctx, parse({ name: 'app', host: '%', password: 'other' }));
    await userModule.apply(native.ctx, parse({ name: 'app', host: '%', password: 'other' }), plan);
    expect(native.calls.at(-1)!.stdin).toContain("ALTER USER 'app'@'%' IDENTIFIED WITH mysql_native_password BY 'other';");
    const fresh = server(undefined, MYSQL_80);
    const create = await userModule.plan(fresh.ctx, parse({ name: 'old', host: '%', plugin: 'mysql_native_password', password: 'p' }));
    await userModule.apply(fresh.ctx, parse({ name: 'old', host: '%', plugin: 'mysql_native_password', password: 'p' }), create);
    expect(fresh.calls.at(-1)!.stdin).toContain("CREATE USER 'old'@'%' IDENTIFIED WITH mysql_native_password BY 'p';");
  });

  it.each([['8.4', MYSQL_84], ['9.7', MYSQL_97]])('%s: mysql_native_password is refused at plan time: not active', async (_version, plugins) => {
    await expect(planned(server(undefined, plugins), { name: 'old', host: '%', plugin: 'mysql_native_password', password: 'p' })).rejects.toThrow(
      /'old'@'%': the authentication plugin mysql_native_password is not active on this server/,
    );
  });

  it('an account on a plugin shipshape does not know (mysql_no_login) is refused, never given "set password"', async () => {
    await expect(planned(server({ plugin: 'mysql_no_login', auth: '' }, MYSQL_97), { name: 'svc', host: '%', password: 'p' })).rejects.toThrow(
      "'svc'@'%': it authenticates with mysql_no_login, whose password shipshape cannot check: name a password plugin (caching_sha2_password, sha256_password, mysql_native_password) to convert it",
    );
  });

  it('the schema: auth_socket takes no password; every other present account needs one', () => {
    expect(userModule.schema.safeParse({ name: 'a', host: 'localhost', plugin: 'auth_socket', password: 'x' }).success).toBe(false);
    expect(userModule.schema.safeParse({ name: 'a', host: 'localhost', plugin: 'auth_socket' }).success).toBe(true);
    expect(userModule.schema.safeParse({ name: 'a', host: 'localhost', plugin: 'sha256_password' }).success).toBe(false);
    expect(userModule.schema.safeParse({ name: 'a', host: 'localhost', plugin: 'ed25519', password: 'x' }).success).toBe(false);
    expect(userModule.schema.safeParse({ name: 'a', host: 'localhost', password: 'x', login: { defaultsFile: 'relative.cnf' } }).success).toBe(false);
  });
});

/** What readRemote (transport/remote-files.ts) reads back for a regular file, or for none. */
function remoteFile(content: string | undefined): string {
  return content === undefined ? 'absent\n' : `81a4 644 root root ${Buffer.byteLength(content)}\n\ny\n${content}`;
}

describe('mysql.config', () => {
  const file = '# Managed by shipshape (mysql.config): local edits are overwritten on the next run.\n[mysqld]\nserver-id = 1\nread_only = OFF\n';
  // The file probe is a shell command; the running values come from the mysql client.
  const host = (content: string | undefined) =>
    fakeHost((_sql, command) =>
      command.startsWith('mysql ')
        ? fixture('variables.tsv')
        : remoteFile(content),
    );

  it('file and running values agree: nothing to do; the file and the variables read at once', async () => {
    const { ctx, calls } = host(file);
    const plan = await configModule.plan(ctx, configModule.schema.parse({ settings: { 'server-id': 1, read_only: 'OFF' } }));
    expect(plan.changes).toEqual([]);
    expect(calls.map((c) => (c.command.startsWith('mysql ') ? 'mysql' : 'file'))).toEqual(['file', 'mysql']);
  });

  it('running value drifted while the file is right (SET GLOBAL read_only=OFF on a replica)', async () => {
    const { ctx } = host(file.replace('OFF', 'ON'));
    const plan = await configModule.plan(ctx, configModule.schema.parse({ settings: { 'server-id': 1, read_only: 'ON' } }));
    expect(plan.changes.map((c) => c.description)).toEqual(['set global read_only = ON (running: OFF)']);
  });

  it('a missing file is created with a diff', async () => {
    const { ctx } = host(undefined);
    const plan = await configModule.plan(ctx, configModule.schema.parse({ settings: { 'server-id': 1 } }));
    expect(plan.changes[0].description).toBe('create /etc/mysql/mysql.conf.d/zz-shipshape.cnf');
    expect(plan.changes[0].diff?.after).toContain('server-id = 1');
  });

  it('plans the file alone while mysqld is stopped (a later task starts it with that file)', async () => {
    const { ctx, calls } = fakeHost((sql, command) =>
      command.startsWith('mysql ') ? { exitCode: 1, stderr: "ERROR 2002 (HY000): Can't connect to local server through socket '/run/mysqld/mysqld.sock' (2)" } : remoteFile(undefined),
    );
    const plan = await configModule.plan(ctx, configModule.schema.parse({ settings: { 'server-id': 1 } }));
    expect(plan.changes.map((c) => c.description)).toEqual([`create ${DEFAULT_CONFIG_PATH}`]);
    expect(plan.data!.drift).toEqual([]);
    expect(calls).toHaveLength(2);
  });

  it('other client failures still fail the plan', async () => {
    const { ctx } = fakeHost(() => ({ exitCode: 1, stderr: 'ERROR 1045 (28000): Access denied for user' }));
    await expect(configModule.plan(ctx, configModule.schema.parse({ settings: { 'server-id': 1 } }))).rejects.toThrow(/Access denied/);
  });

  describe('semi-sync settings: the fallback to async is a plan note, not a change', () => {
    const settings = semiSyncSettings('source', 2000);
    const rendered = renderConfig(settings);
    const state = (status: 'ON' | 'OFF') =>
      `name\tvalue\nrpl_semi_sync_source_status\t${status}\nrpl_semi_sync_source_clients\t0\nrpl_semi_sync_source_yes_tx\t4\nrpl_semi_sync_source_no_tx\t3\nrpl_semi_sync_replica_status\tOFF\n` +
      'rpl_semi_sync_source_enabled\tON\nrpl_semi_sync_replica_enabled\tOFF\nrpl_semi_sync_source_timeout\t2000\n';
    const variables = 'Variable_name\tValue\nrpl_semi_sync_source_enabled\tON\nrpl_semi_sync_replica_enabled\tOFF\nrpl_semi_sync_source_timeout\t2000\n';
    const host = (status: 'ON' | 'OFF') =>
      fakeHost((sql, command) => (!command.startsWith('mysql ') ? remoteFile(rendered) : sql.includes('global_status') ? state(status) : variables));

    it('enabled and waiting for acknowledgements: nothing, no note', async () => {
      const plan = await configModule.plan(host('ON').ctx, configModule.schema.parse({ settings }));
      expect(plan).toMatchObject({ changes: [] });
      expect(plan.notes).toBeUndefined();
    });

    it('enabled but fallen back to async (timeout): a note with the counts, still no change', async () => {
      const plan = await configModule.plan(host('OFF').ctx, configModule.schema.parse({ settings }));
      expect(plan.changes).toEqual([]);
      expect(plan.notes).toEqual([expect.stringMatching(/^semi-sync fell back to async: .*0 semi-sync replica\(s\) connected, 3 commit\(s\) without a replica's acknowledgement, timeout 2000 ms/)]);
    });

    it('both plugins load on every node; the role decides which side is on', () => {
      expect(rendered).toContain('plugin-load-add = "semisync_source.so;semisync_replica.so"\n');
      expect(semiSyncSettings('replica', 2000)).toMatchObject({ rpl_semi_sync_source_enabled: 'OFF', rpl_semi_sync_replica_enabled: 'ON', rpl_semi_sync_source_timeout: 2000 });
      expect(settings).toMatchObject({ rpl_semi_sync_source_enabled: 'ON', rpl_semi_sync_replica_enabled: 'OFF' });
    });
  });

  it('refuses option names and values that could break the file', () => {
    expect(configModule.schema.safeParse({ settings: { 'a b': 1 } }).success).toBe(false);
    expect(configModule.schema.safeParse({ settings: { x: 'a\n[client]' } }).success).toBe(false);
    expect(configModule.schema.safeParse({ settings: { 'read-only': 1, read_only: 1 } }).success).toBe(false);
  });
});

describe('mysql.replication', () => {
  const args = replicationModule.schema.parse({ sourceHost: '127.0.0.1', sourcePort: 3307, user: 'repl', password: 's3cret' });
  /** What the server answers for the stored-password read: SHA-256 of its nonce and the stored password. */
  const digestOf = (sql: string, stored: string) => {
    const nonce = /CONCAT\('([0-9a-f]{32})'/.exec(sql)![1];
    return `digest\n${storedPasswordDigest(nonce, stored)}\n`;
  };
  const host = (status: string, storedPassword = 's3cret') =>
    fakeHost((sql) => {
      if (sql.includes('VERSION()')) return fixture('version.tsv').replace('VERSION()', 'version');
      if (sql.includes('SHOW REPLICA STATUS')) return status;
      if (sql.includes('slave_master_info')) return digestOf(sql, storedPassword);
      return '';
    });

  it('fails with the IO error when replication with these settings is broken', async () => {
    const { ctx } = host(fixture('replica-status-io-error.tsv'));
    await expect(replicationModule.plan(ctx, args)).rejects.toThrow(/IO thread: Error connecting to source 'repl@127.0.0.1:3307'/);
  });

  it('stopped threads plan a start', async () => {
    const { ctx } = host(fixture('replica-status-stopped.tsv'));
    expect((await replicationModule.plan(ctx, args)).changes.map((c) => c.description)).toEqual(['start replica threads (IO and SQL stopped)']);
  });

  it('a changed password reconfigures; the plan sends a nonce, never the password in any spelling', async () => {
    const password = 'p\'w"\\d-7c1e9a3f';
    const a = replicationModule.schema.parse({ sourceHost: '127.0.0.1', sourcePort: 3307, user: 'repl', password });
    const { ctx, calls } = host(fixture('replica-status-io-error.tsv'), 'the-old-one');
    const plan = await replicationModule.plan(ctx, a);
    expect(plan.changes.map((c) => c.description)).toEqual(['reconfigure source 127.0.0.1:3307 as repl (password differs)', 'start replica']);
    expect(calls.some((c) => c.stdin.includes('slave_master_info'))).toBe(true);
    for (const call of calls) expect(leakedForms(call.command + call.stdin, [password])).toEqual([]);
    // The same stored password as ours: nothing to do but what the IO error says.
    await expect(replicationModule.plan(host(fixture('replica-status-io-error.tsv'), password).ctx, a)).rejects.toThrow(/IO thread/);
  });

  it('apply: the password goes on stdin once, SQL-quoted in CHANGE REPLICATION SOURCE; never into a command line', async () => {
    const password = 'p\'w"\\d-7c1e9a3f';
    const a = replicationModule.schema.parse({ sourceHost: '127.0.0.1', sourcePort: 3307, user: 'repl', password, waitSeconds: 1 });
    const [header, row] = fixture('replica-status-stopped.tsv').trimEnd().split('\n');
    const columns = header.split('\t');
    const running = row.split('\t');
    running[columns.indexOf('Replica_IO_Running')] = 'Yes';
    running[columns.indexOf('Replica_SQL_Running')] = 'Yes';
    let started = false;
    const { ctx, calls } = fakeHost((sql) => {
      if (sql.includes('VERSION()')) return fixture('version.tsv').replace('VERSION()', 'version');
      if (sql.includes('slave_master_info')) return digestOf(sql, 'the-old-one');
      if (sql.includes('START REPLICA')) started = true;
      if (sql.includes('SHOW REPLICA STATUS')) return started ? `${header}\n${running.join('\t')}\n` : fixture('replica-status-stopped.tsv');
      return '';
    });
    const plan = await replicationModule.plan(ctx, a);
    expect(plan.changes.map((c) => c.description)).toEqual(['reconfigure source 127.0.0.1:3307 as repl (password differs)', 'start replica']);
    const planned = calls.length;
    const result = await replicationModule.apply(ctx, a, plan);
    expect(result).toMatchObject({ output: { ioRunning: 'Yes', sqlRunning: 'Yes' } });
    for (const call of calls) expect(leakedForms(call.command, [password]), call.command).toEqual([]);
    const applied = calls.slice(planned);
    const change = applied.filter((c) => leakedForms(c.stdin, [password]).length > 0);
    expect(change).toHaveLength(1);
    expect(change[0].stdin).toContain(`SOURCE_PASSWORD = 'p''w"\\\\d-7c1e9a3f'`);
    expect(change[0].stdin).toMatch(/STOP REPLICA;\nCHANGE REPLICATION SOURCE TO /);
  });

  it('unconfigured: configure and start', async () => {
    const { ctx } = host('');
    expect((await replicationModule.plan(ctx, args)).changes.map((c) => c.description)).toEqual(['configure source 127.0.0.1:3307 as repl', 'start replica']);
  });

  it('TLS pinned to the source CA: the CA is read from the source host, written on the replica before the CHANGE that names it', async () => {
    const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const a = replicationModule.schema.parse({ sourceHost: '127.0.0.1', sourcePort: 3307, user: 'repl', password: 's3cret', ssl: true, sslCaFrom: 'db-1', waitSeconds: 1 });
    let configured = false;
    const { ctx, calls } = fakeHost((sql, command) => {
      if (!command.startsWith('mysql ')) return command.includes('mktemp') || command.includes('mv ') ? '' : remoteFile(undefined);
      if (sql.includes('VERSION()')) return fixture('version.tsv').replace('VERSION()', 'version');
      if (sql.includes('CHANGE REPLICATION SOURCE')) configured = true;
      if (sql.includes('SHOW REPLICA STATUS')) return configured ? 'Source_Host\tReplica_IO_Running\tReplica_SQL_Running\n127.0.0.1\tYes\tYes\n' : '';
      return '';
    });
    const peerCalls: string[] = [];
    ctx.peer = (name: string) => ({
      host: name,
      exec: async (command: string) => {
        peerCalls.push(command);
        const stdout = remoteFile(CA_PEM);
        return { command, exitCode: 0, stdout, stderr: '', stdoutBytes: Buffer.from(stdout), durationMs: 1 };
      },
    }) as unknown as ReturnType<TaskContext['peer']>;
    const plan = await replicationModule.plan(ctx, a);
    expect(plan.changes.map((c) => c.description)).toEqual([
      "trust db-1's MySQL CA for replication (/etc/mysql/shipshape-source-ca.pem)",
      'configure source 127.0.0.1:3307 as repl over TLS',
      'start replica',
    ]);
    expect(peerCalls.join('\n')).toContain('/var/lib/mysql/ca.pem');
    const planned = calls.length;
    await replicationModule.apply(ctx, a, plan);
    const applied = calls.slice(planned);
    const write = applied.findIndex((c) => c.command.includes('/etc/mysql/shipshape-source-ca.pem') && c.stdin.includes('BEGIN CERTIFICATE'));
    const change = applied.findIndex((c) => c.stdin.includes('CHANGE REPLICATION SOURCE'));
    expect(write).toBeGreaterThanOrEqual(0);
    expect(change).toBeGreaterThan(write);
    expect(applied[change].stdin).toContain("SOURCE_SSL = 1, SOURCE_SSL_CA = '/etc/mysql/shipshape-source-ca.pem';");
  });

  it('a failed parallel worker is reported with its own error, not the coordinator summary', async () => {
    const [header, row] = fixture('replica-status-stopped.tsv').trimEnd().split('\n');
    const columns = header.split('\t');
    const cells = row.split('\t');
    cells[columns.indexOf('Last_SQL_Error')] = 'Coordinator stopped because there were error(s) in the worker(s). The most recent failure being: Worker 1 failed executing transaction';
    const { ctx } = fakeHost((sql) => {
      if (sql.includes('VERSION()')) return 'version\n9.7.4-2\n';
      if (sql.includes('SHOW REPLICA STATUS')) return `${header}\n${cells.join('\t')}\n`;
      if (sql.includes('replication_applier_status_by_worker')) return "code\tmessage\n1062\tDuplicate entry '100' for key 'visits.PRIMARY'\n";
      return digestOf(sql, 's3cret');
    });
    await expect(replicationModule.plan(ctx, args)).rejects.toThrow("SQL thread: Error 1062: Duplicate entry '100' for key 'visits.PRIMARY'");
  });

  /** A running replica's status row, in the column names of that release (8.0.22 and older: Master_/Slave_). */
  const runningStatus = (legacy: boolean) => {
    const [header, row] = fixture('replica-status-stopped.tsv').trimEnd().split('\n');
    const columns = header.split('\t');
    const cells = row.split('\t');
    cells[columns.indexOf('Replica_IO_Running')] = 'Yes';
    cells[columns.indexOf('Replica_SQL_Running')] = 'Yes';
    cells[columns.indexOf('Source_Port')] = '3307';
    const names = legacy ? columns.map((c) => c.replace(/Source/g, 'Master').replace(/Replica/g, 'Slave').replace('Get_Master_public_key', 'Get_master_public_key')) : columns;
    return `${names.join('\t')}\n${cells.join('\t')}\n`;
  };

  it.each([
    ['8.0.36-0ubuntu0.22.04.1', false],
    ['8.0.41-0ubuntu0.24.04.1', false],
    ['8.4.3', false],
    ['9.7.4-2', false],
    ['8.0.22', true],
  ])('%s: a running replica with the same password converges (nothing to do); another stored password reconfigures', async (version, legacy) => {
    const replica = (stored: string) =>
      fakeHost((sql) => {
        if (sql.includes('VERSION()')) return `version\n${version}\n`;
        if (sql.includes('slave_master_info')) return digestOf(sql, stored);
        if (sql.includes(legacy ? 'SHOW SLAVE STATUS' : 'SHOW REPLICA STATUS')) return runningStatus(legacy);
        if (sql.includes('SHOW REPLICA STATUS')) return { exitCode: 1, stderr: 'ERROR 1064 (42000) at line 2: You have an error in your SQL syntax' };
        return '';
      });
    expect((await replicationModule.plan(replica('s3cret').ctx, args)).changes).toEqual([]);
    const { ctx, calls } = replica('old');
    const plan = await replicationModule.plan(ctx, args);
    expect(plan.changes.map((c) => c.description)).toEqual(['reconfigure source 127.0.0.1:3307 as repl (password differs)', 'start replica']);
    await replicationModule.apply(ctx, { ...args, waitSeconds: 1 }, plan);
    const change = calls.find((c) => c.stdin.includes('_PASSWORD = '))!;
    expect(change.stdin).toContain(legacy ? "STOP SLAVE;\nCHANGE MASTER TO MASTER_HOST = '127.0.0.1'" : "STOP REPLICA;\nCHANGE REPLICATION SOURCE TO SOURCE_HOST = '127.0.0.1'");
  });

  it('seedFrom needs databases', () => {
    expect(replicationModule.schema.safeParse({ sourceHost: 'h', user: 'u', password: 'p', seedFrom: 'web-01' }).success).toBe(false);
  });
});
