/**
 * `mysql.user`: an account, its password and (when listed) exactly its privileges.
 * The password is checked offline against the stored hash (password-hash.ts), so a run with the
 * same password plans nothing and a changed one plans "set password", without a login attempt.
 */
import { z } from 'zod';
import { registerSecretValue } from '../../report/mask.ts';
import { Secret, revealed } from '../../secrets/secret.ts';
import type { Module, TaskContext } from '../types.ts';
import { clientFor } from './client.ts';
import { diffGrants, GrantSyntaxError, grantStepLabel, grantStepSql, parseShowGrants, parseWantedGrant, type GrantStep } from './grants.ts';
import { passwordMatches } from './password-hash.ts';
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

export const userSchema = z
  .strictObject({
    /** MySQL user names are at most 32 characters. */
    name: z.string().min(1).max(32),
    /** `%`, `10.0.0.%`, `localhost`, an address or a name. */
    host: z.string().min(1).max(255),
    password: z.union([z.string(), z.instanceof(Secret)]).optional(),
    /** Exactly these (others are revoked): `['ALL PRIVILEGES ON app.*', 'REPLICATION SLAVE ON *.*']`. Omitted: not managed. */
    privileges: z.array(privilegeSpec).optional(),
    state: z.enum(['present', 'absent']).default('present'),
  })
  .refine((a) => a.state === 'absent' || a.password !== undefined, { message: 'a present user needs a password', path: ['password'] });

export type UserArgs = z.output<typeof userSchema>;

type Step =
  | { kind: 'create' }
  | { kind: 'password' }
  | { kind: 'drop' }
  | GrantStep;

interface Current {
  exists: boolean;
  plugin: string;
  authString: Buffer;
}

async function readUser(ctx: TaskContext, args: UserArgs): Promise<Current> {
  const rows = await clientFor(ctx).query(
    `SELECT plugin, HEX(authentication_string) AS auth FROM mysql.user WHERE User = ${sqlString(args.name)} AND Host = ${sqlString(args.host)};`,
  );
  if (rows.length === 0) return { exists: false, plugin: '', authString: Buffer.alloc(0) };
  return { exists: true, plugin: rows[0].plugin, authString: Buffer.from(rows[0].auth, 'hex') };
}

async function readGrants(ctx: TaskContext, args: UserArgs) {
  const rows = await clientFor(ctx).query(`SHOW GRANTS FOR ${sqlAccount(args.name, args.host)};`);
  return parseShowGrants(rows.map((row) => Object.values(row)[0] ?? ''));
}

export async function planUser(ctx: TaskContext, args: UserArgs): Promise<Step[]> {
  // The grants are asked for together with the account (one client run for both, coalesced); for
  // an account that does not exist yet SHOW GRANTS fails, and that answer is simply not used.
  const grants = args.state !== 'absent' && args.privileges ? settle(readGrants(ctx, args)) : undefined;
  const current = await readUser(ctx, args);
  if (args.state === 'absent') return current.exists ? [{ kind: 'drop' }] : [];
  const steps: Step[] = [];
  if (!current.exists) steps.push({ kind: 'create' });
  else if (passwordMatches(current.plugin, current.authString, revealed(args.password!)) !== true) steps.push({ kind: 'password' });
  if (args.privileges) {
    const wanted = args.privileges.map(parseWantedGrant);
    let have: ReturnType<typeof parseShowGrants> = [];
    if (current.exists) {
      const read = await grants!;
      if ('error' in read) throw read.error;
      have = read.value;
    }
    steps.push(...diffGrants(have, wanted));
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
    case 'drop':
      return `drop user ${account}`;
    default:
      return grantStepLabel(step, account);
  }
}

function stepSql(step: Step, args: UserArgs): string {
  const account = sqlAccount(args.name, args.host);
  switch (step.kind) {
    case 'create':
      return `CREATE USER ${account} IDENTIFIED BY ${sqlString(revealed(args.password!))};`;
    case 'password':
      return `ALTER USER ${account} IDENTIFIED BY ${sqlString(revealed(args.password!))};`;
    case 'drop':
      return `DROP USER ${account};`;
    default:
      return grantStepSql(step, account);
  }
}

export const userModule: Module<UserArgs, { steps: Step[] }, z.input<typeof userSchema>> = {
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
    const sql = plan.data!.steps.map((step) => stepSql(step, args)).join('\n');
    const secrets = args.password === undefined ? [] : [revealed(args.password)];
    await clientFor(ctx).execute(sql, { secrets });
  },
};
