// permissions.ts: a module of your own. A path's mode, like chmod, but planned first.
import { moduleFunction, sh, TaskError, z, type Coalescable, type Module } from 'shipshape';

const schema = z.strictObject({
  path: z.string().startsWith('/', 'must be an absolute path'),
  // '0640' and '640' mean the same mode; stat prints '640'.
  mode: z
    .string()
    .regex(/^0?[0-7]{3}$/, 'an octal mode like "0640"')
    .transform((mode) => mode.replace(/^0/, '')),
});
type Args = z.output<typeof schema>;

/**
 * The probe: a path's mode, or undefined when it does not exist. Coalescable: the tasks of one
 * host that plan together ask with ONE `stat` for all their paths.
 */
const currentMode: Coalescable<string, string | undefined> = {
  kind: 'example.permissions.stat',
  async runOne(exec, path) {
    const result = await exec(sh`stat -c %a -- ${path}`);
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  },
  async runMany(exec, paths) {
    const result = await exec(sh`stat -c '%a %n' -- ${paths}`);
    const modes = new Map<string, string>();
    for (const line of result.stdout.split('\n')) {
      const space = line.indexOf(' ');
      if (space > 0) modes.set(line.slice(space + 1), line.slice(0, space));
    }
    // A path stat could not read stays undefined: it runs alone and gets its own answer.
    return paths.map((path) => modes.get(path));
  },
};

export const permissionsModule: Module<Args, unknown, z.input<typeof schema>> = {
  name: 'example.permissions',
  schema,
  describe: (args) => `mode ${args.mode} on ${args.path}`,
  // What it manages, so preflight can name two tasks that want different modes for one path.
  manages: (args) => [{ key: `mode:${args.path}`, state: args.mode }],
  // plan reads (never writes) and returns the changes: none means ok.
  async plan(ctx, args) {
    const mode = await ctx.coalesce(currentMode, args.path);
    if (mode === undefined) throw new TaskError(`${args.path} does not exist`);
    if (mode === args.mode) return { changes: [] };
    return { changes: [{ description: `mode of ${args.path}: ${mode} → ${args.mode}` }] };
  },
  // apply makes exactly the planned change; ctx.run throws (naming the command) if it fails.
  async apply(ctx, args) {
    await ctx.run(sh`chmod ${args.mode} -- ${args.path}`);
  },
};

/** What playbooks call: `permissions({ path: '/etc/app.env', mode: '0600' })`. */
export const permissions = moduleFunction(permissionsModule);
