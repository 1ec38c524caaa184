/**
 * `mysql.user`: an account, its authentication plugin and password, and (when listed) exactly its
 * privileges. The password is checked offline against the stored hash (password-hash.ts), so a
 * run with the same password plans nothing and a changed one plans "set password", without a
 * login attempt.
 *
 * An account whose password cannot be checked (auth_socket: Debian's and Ubuntu's root; any
 * plugin not in VERIFIABLE_PLUGINS) is left alone unless the task names a `plugin`: "set
 * password" there would be planned on every run (ALTER USER ... IDENTIFIED BY keeps auth_socket
 * and changes nothing), and converting root to a password plugin would lock `sudo mysql`, the
 * login shipshape itself uses, out. Converting the account shipshape logs in as also needs a
 * `login` that will still work afterwards.
 */
import { z } from 'zod';
import { registerSecretValue } from '../../secrets/mask.ts';
import { Secret, revealed } from '../../secrets/secret.ts';
import type { Module, TaskContext } from '../../task/types.ts';
import { TaskError } from '../../errors.ts';
import { clientFor, loginAccount, loginSchema } from './client.ts';
import { diffGrants, GrantSyntaxError, grantStepLabel, grantStepSql, parseShowGrants, parseWantedGrant, type GrantStep } from './grants.ts';
import { passwordMatches, VERIFIABLE_PLUGINS } from './password-hash.ts';
import { accountLabel, sqlAccount, sqlString } from './sql.ts';
import { settle } from '../../util/settle.ts';

const privilegeSpec = z.string().superRefine((spec, issue) => {
  try {
    parseWantedGrant(spec);
  } catch (error) {
    if (!(error instanceof GrantSyntaxError)) throw error;
    issue.addIssue({ code: 'custom', message: error.message });
  }
});

/** Authentication plugins mysql.user creates or converts accounts to. */
export const USER_PLUGINS = ['caching_sha2_password', 'mysql_native_password', 'sha256_password', 'auth_socket'] as const;

export const userSchema = z
  .strictObject({
    /** MySQL user names are at most 32 characters. */
    name: z.string().min(1).max(32),
    /** `%`, `10.0.0.%`, `localhost`, an address or a name. */
    host: z.string().min(1).max(255),
    password: z.union([z.string(), z.instanceof(Secret)]).optional(),
    /**
     * The authentication plugin. Omitted: the server's default for a new account, the account's
     * own for an existing one (which must be a password plugin shipshape can check). Named and
     * different from the account's: the account is converted. auth_socket takes no password.
     */
    plugin: z.enum(USER_PLUGINS).optional(),
    /** Exactly these (others are revoked): `['ALL PRIVILEGES ON app.*', 'REPLICATION SLAVE ON *.*']`. Omitted: not managed. */
    privileges: z.array(privilegeSpec).optional(),
    /** true: the account may only log in over TLS (REQUIRE SSL); false: REQUIRE NONE. Omitted: not managed. */
    requireSsl: z.boolean().optional(),
    state: z.enum(['present', 'absent']).default('present'),
    login: loginSchema,
  })
  .refine((a) => a.state === 'absent' || a.plugin === 'auth_socket' || a.password !== undefined, { message: 'a present user needs a password', path: ['password'] })
  .refine((a) => a.plugin !== 'auth_socket' || a.password === undefined, {
    message: 'auth_socket logs in as the OS user of the same name: give no password',
    path: ['password'],
  });

export type UserArgs = z.output<typeof userSchema>;

type Step =
  | { kind: 'create' }
  | { kind: 'password'; plugin: string }
  | { kind: 'plugin'; from: string }
  | { kind: 'drop' }
  | { kind: 'tls'; require: boolean }
  | GrantStep;

interface Current {
  exists: boolean;
  plugin: string;
  authString: Buffer;
  /** mysql.user.ssl_type: '' (none), ANY (REQUIRE SSL), X509, SPECIFIED. */
  sslType: string;
}

async function readUser(ctx: TaskContext, args: UserArgs): Promise<Current> {
  const rows = await clientFor(ctx, args.login).query(
    `SELECT plugin, HEX(authentication_string) AS auth, ssl_type FROM mysql.user WHERE User = ${sqlString(args.name)} AND Host = ${sqlString(args.host)};`,
  );
  if (rows.length === 0) return { exists: false, plugin: '', authString: Buffer.alloc(0), sslType: '' };
  return { exists: true, plugin: rows[0].plugin, authString: Buffer.from(rows[0].auth, 'hex'), sslType: rows[0].ssl_type ?? '' };
}

async function readGrants(ctx: TaskContext, args: UserArgs) {
  const rows = await clientFor(ctx, args.login).query(`SHOW GRANTS FOR ${sqlAccount(args.name, args.host)};`);
  return parseShowGrants(rows.map((row) => Object.values(row)[0] ?? ''));
}

/** Whether the server has `plugin` loaded (8.4 loads mysql_native_password only when asked, 9.0 removed it). */
async function pluginActive(ctx: TaskContext, args: UserArgs, plugin: string): Promise<boolean> {
  const rows = await clientFor(ctx, args.login).query(
    `SELECT PLUGIN_STATUS AS status FROM information_schema.PLUGINS WHERE PLUGIN_TYPE = 'AUTHENTICATION' AND PLUGIN_NAME = ${sqlString(plugin)};`,
  );
  return rows[0]?.status === 'ACTIVE';
}

/** Whether this account is the one shipshape logs in as (root over the socket, or the login's user). */
function isOwnLogin(args: UserArgs): boolean {
  const own = loginAccount(args.login);
  return own !== undefined && own.name === args.name && own.host === args.host;
}

export async function planUser(ctx: TaskContext, args: UserArgs): Promise<Step[]> {
  const refuse = (message: string) => new TaskError(`${accountLabel(args.name, args.host)}: ${message}`, { host: ctx.host.name, task: ctx.task });
  // The grants (and the plugin's status) are asked for together with the account (one client run,
  // coalesced); for an account that does not exist yet SHOW GRANTS fails, and that answer is simply not used.
  const grants = args.state !== 'absent' && args.privileges ? settle(readGrants(ctx, args)) : undefined;
  const active = args.state !== 'absent' && args.plugin ? settle(pluginActive(ctx, args, args.plugin)) : undefined;
  const current = await readUser(ctx, args);
  if (args.state === 'absent') {
    if (current.exists && isOwnLogin(args)) throw refuse('this is the account shipshape logs in as (sudo mysql): it will not drop it');
    return current.exists ? [{ kind: 'drop' }] : [];
  }
  const steps: Step[] = [];
  const wanted = args.plugin;
  if (wanted && (!current.exists || current.plugin !== wanted)) {
    const read = await active!;
    if ('error' in read) throw read.error;
    if (!read.value) {
      throw refuse(`the authentication plugin ${wanted} is not active on this server (MySQL 8.4 loads mysql_native_password only with mysql_native_password=ON; 9.0 removed it)`);
    }
  }
  if (!current.exists) {
    steps.push({ kind: 'create' });
  } else if (wanted && current.plugin !== wanted) {
    if (current.plugin === 'auth_socket' && isOwnLogin(args) && !args.login?.defaultsFile) {
      throw refuse(
        `converting it from auth_socket to ${wanted} would lock shipshape's own login (sudo mysql as root over the socket) out: ` +
          'give login.defaultsFile, an option file holding the new password, or keep plugin auth_socket',
      );
    }
    steps.push({ kind: 'plugin', from: current.plugin });
  } else if (wanted !== 'auth_socket') {
    if (!VERIFIABLE_PLUGINS.has(current.plugin)) {
      const keep = (USER_PLUGINS as readonly string[]).includes(current.plugin) ? `name plugin: '${current.plugin}' to leave it so, or ` : 'name ';
      throw refuse(
        `it authenticates with ${current.plugin}, whose password shipshape cannot check: ${keep}a password plugin (${[...VERIFIABLE_PLUGINS].join(', ')}) to convert it`,
      );
    }
    if (passwordMatches(current.plugin, current.authString, revealed(args.password!)) !== true) steps.push({ kind: 'password', plugin: current.plugin });
  }
  if (args.requireSsl !== undefined && current.exists) {
    // X509 and SPECIFIED demand TLS too (and more): only '' lets a plain-text login in.
    const requires = current.sslType !== '';
    if (requires !== args.requireSsl) steps.push({ kind: 'tls', require: args.requireSsl });
  }
  if (args.privileges) {
    const wantedGrants = args.privileges.map(parseWantedGrant);
    let have: ReturnType<typeof parseShowGrants> = [];
    if (current.exists) {
      const read = await grants!;
      if ('error' in read) throw read.error;
      have = read.value;
    }
    steps.push(...diffGrants(have, wantedGrants));
  }
  return steps;
}

function describeStep(step: Step, args: UserArgs): string {
  const account = accountLabel(args.name, args.host);
  switch (step.kind) {
    case 'create':
      return `create user ${account}`;
    case 'password':
      return `set password for ${account}`;
    case 'plugin':
      return `change authentication of ${account} from ${step.from} to ${args.plugin}`;
    case 'drop':
      return `drop user ${account}`;
    case 'tls':
      return step.require ? `require TLS for ${account}` : `allow ${account} without TLS`;
    default:
      return grantStepLabel(step, account);
  }
}

/** `IDENTIFIED ...` for the wanted plugin (names come from the schema's enum, never from input). */
function identified(args: UserArgs, plugin: string | undefined): string {
  if (plugin === 'auth_socket') return 'IDENTIFIED WITH auth_socket';
  const password = sqlString(revealed(args.password!));
  return plugin ? `IDENTIFIED WITH ${plugin} BY ${password}` : `IDENTIFIED BY ${password}`;
}

function stepSql(step: Step, args: UserArgs): string {
  const account = sqlAccount(args.name, args.host);
  switch (step.kind) {
    case 'create':
      return `CREATE USER ${account} ${identified(args, args.plugin)}${args.requireSsl ? ' REQUIRE SSL' : ''};`;
    case 'password':
      // The account's own plugin, named: a bare IDENTIFIED BY may mean the server's default.
      return `ALTER USER ${account} ${identified(args, step.plugin)};`;
    case 'plugin':
      return `ALTER USER ${account} ${identified(args, args.plugin)};`;
    case 'drop':
      return `DROP USER ${account};`;
    case 'tls':
      // IF EXISTS: the statement replicates, and a replica seeded without this account (the
      // replication account usually is) must take it as a note, not stop on error 1396.
      return `ALTER USER IF EXISTS ${account} REQUIRE ${step.require ? 'SSL' : 'NONE'};`;
    default:
      return grantStepSql(step, account);
  }
}

export const mysqlUserModule: Module<UserArgs, { steps: Step[] }, z.input<typeof userSchema>> = {
  name: 'mysql.user',
  schema: userSchema,
  describe: (args) => `mysql user ${accountLabel(args.name, args.host)}${args.state === 'absent' ? ' absent' : ''}`,
  async plan(ctx, args) {
    // A password given as a plain string is still a password: mask it in every report.
    if (typeof args.password === 'string') registerSecretValue(args.password);
    const steps = await planUser(ctx, args);
    return { changes: steps.map((step) => ({ description: describeStep(step, args) })), data: { steps } };
  },
  async apply(ctx, args, plan) {
    const sql = plan.data.steps.map((step) => stepSql(step, args)).join('\n');
    const secrets = args.password === undefined ? [] : [revealed(args.password)];
    await clientFor(ctx, args.login).execute(sql, { secrets });
  },
};
