/** `mysql.database`: a schema, its default character set and collation, or its absence. */
import { z } from 'zod';
import type { Module, TaskContext } from '../../task/types.ts';
import { clientFor, loginSchema } from './client.ts';
import { sqlIdent, sqlString } from './sql.ts';

const charsetName = z.string().regex(/^[A-Za-z0-9_]+$/, 'not a character set or collation name');

const databaseSchema = z.strictObject({
  /** 64 characters is MySQL's limit for a schema name. */
  name: z.string().min(1).max(64),
  charset: charsetName.optional(),
  collation: charsetName.optional(),
  state: z.enum(['present', 'absent']).default('present'),
  login: loginSchema,
});

export type DatabaseArgs = z.output<typeof databaseSchema>;

type Step = { kind: 'create' } | { kind: 'alter'; what: string } | { kind: 'drop' };

// Names are validated to [A-Za-z0-9_] by the schema, so they go in bare, as MySQL prints them.
function options(args: DatabaseArgs): string {
  return [
    args.charset ? ` CHARACTER SET ${args.charset}` : '',
    args.collation ? ` COLLATE ${args.collation}` : '',
  ].join('');
}

async function planDatabase(ctx: TaskContext, args: DatabaseArgs): Promise<Step[]> {
  const rows = await clientFor(ctx, args.login).query(
    `SELECT DEFAULT_CHARACTER_SET_NAME AS charset, DEFAULT_COLLATION_NAME AS collation FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${sqlString(args.name)};`,
  );
  const current = rows[0];
  if (args.state === 'absent') return current ? [{ kind: 'drop' }] : [];
  if (!current) return [{ kind: 'create' }];
  const drift: string[] = [];
  if (args.charset && args.charset.toLowerCase() !== current.charset.toLowerCase()) drift.push(`character set ${current.charset} → ${args.charset}`);
  if (args.collation && args.collation.toLowerCase() !== current.collation.toLowerCase()) drift.push(`collation ${current.collation} → ${args.collation}`);
  return drift.length ? [{ kind: 'alter', what: drift.join(', ') }] : [];
}

export const mysqlDatabaseModule: Module<DatabaseArgs, { steps: Step[] }, z.input<typeof databaseSchema>> = {
  name: 'mysql.database',
  manages: (args) => [{ key: `mysql-db:${args.name}`, state: args.state }],
  schema: databaseSchema,
  describe: (args) => `mysql database ${args.name}${args.state === 'absent' ? ' absent' : ''}`,
  async plan(ctx, args) {
    const steps = await planDatabase(ctx, args);
    const line = (s: Step) =>
      s.kind === 'create' ? `create database ${args.name}` : s.kind === 'drop' ? `drop database ${args.name}` : `alter database ${args.name}: ${s.what}`;
    return { changes: steps.map((s) => ({ description: line(s) })), data: { steps } };
  },
  async apply(ctx, args, plan) {
    const name = sqlIdent(args.name);
    const sql = plan.data.steps.map((s) =>
      s.kind === 'create' ? `CREATE DATABASE ${name}${options(args)};` : s.kind === 'drop' ? `DROP DATABASE ${name};` : `ALTER DATABASE ${name}${options(args)};`,
    );
    await clientFor(ctx, args.login).execute(sql.join('\n'));
  },
};
