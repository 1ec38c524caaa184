/**
 * Planner tests from data, without a host (as pyinfra's operation fixtures): a JSON fixture gives a
 * module's arguments and the output its probe commands printed on a real host; the module's own
 * plan() runs against that recording, through the same task context the engine gives it (ctx.exec,
 * ctx.run, ctx.coalesce), and its changes are compared with the fixture's.
 *
 *   // test/planners/permissions.json: [{ "name": "…", "args": {…}, "commands": [{ "stdout": "644\n" }], "changes": ["…"] }]
 *   for (const fixture of readPlannerFixtures('test/planners/permissions.json')) {
 *     it(fixture.name, () => expectPlannerFixture(permissions, fixture));
 *   }
 *
 * Framework-neutral: a mismatch throws node:assert's AssertionError, which every runner shows.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.ts';
import type { HostFacts } from '../facts/types.ts';
import type { HostView, Module, Plan } from '../task/types.ts';
import type { Task } from '../task/task.ts';
import { startPlan } from '../engine/task-run.ts';
import type { ExecOptions, ExecResult, HostConnection } from '../transport/types.ts';

/** One recorded command: what the plan is expected to run and what it printed. */
export interface RecordedCommand {
  /** A part of the command the plan must run here (checked when given). */
  command?: string;
  stdout?: string;
  stderr?: string;
  /** Default 0. */
  exitCode?: number;
}

export interface PlannerFixture {
  /** The test's name. */
  name: string;
  /** The module's arguments, as a playbook passes them. */
  args: unknown;
  /** The host as the task sees it; facts only as far as the module reads them. */
  host?: { name?: string; vars?: Record<string, unknown>; groups?: string[]; facts?: Record<string, unknown> };
  /** Plan under --check. */
  check?: boolean;
  /** The probe's commands in the order the plan runs them, with their recorded output. */
  commands: RecordedCommand[];
  /** The expected changes' descriptions, in order ([] = ok, nothing to do). */
  changes?: string[];
  /** The expected notes (Plan.notes). */
  notes?: string[];
  /** The expected plan data, compared as JSON (what apply receives). */
  data?: unknown;
  /** The plan must fail with a message containing this text, */
  error?: string;
  /** and (when given) an error of this class: `TaskError`, `CommandError`, … */
  errorClass?: string;
}

/** Reads a JSON file holding one fixture or an array of them. */
export function readPlannerFixtures(file: string | URL): PlannerFixture[] {
  const path = typeof file === 'string' ? file : fileURLToPath(file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${path}: cannot read planner fixtures: ${(error as Error).message}`, { file: path });
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  list.forEach((entry, index) => {
    const fixture = entry as Partial<PlannerFixture>;
    if (typeof fixture?.name !== 'string' || !Array.isArray(fixture.commands) || !('args' in fixture)) {
      throw new ConfigError(`${path}: fixture ${index + 1}: needs "name", "args" and "commands"`, { file: path, field: `[${index}]` });
    }
  });
  return list as PlannerFixture[];
}

/** A module, or the function a playbook calls (`sysctl`, `file.template`, a module of your own). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Planned = Module<any, any, any> | ((args: any, options?: { name?: string }) => Task);

/** Plays back the recording: each command gets the next recorded output, in order. */
class RecordedConnection implements HostConnection {
  readonly channelsOpened = 0;
  readonly ran: string[] = [];

  constructor(
    readonly host: string,
    private readonly recording: RecordedCommand[],
  ) {}

  async exec(command: string, _options?: ExecOptions): Promise<ExecResult> {
    const index = this.ran.length;
    this.ran.push(command);
    const recorded = this.recording[index];
    if (!recorded) throw new Error(`the plan ran more commands than recorded (${this.recording.length}); command ${index + 1}: ${command}`);
    if (recorded.command !== undefined && !command.includes(recorded.command)) {
      throw new Error(`command ${index + 1} of the plan does not contain ${JSON.stringify(recorded.command)}: ${command}`);
    }
    const stdout = recorded.stdout ?? '';
    return { command, exitCode: recorded.exitCode ?? 0, stdout, stderr: recorded.stderr ?? '', stdoutBytes: Buffer.from(stdout), durationMs: 0 };
  }

  async close(): Promise<void> {}
}

function taskOf(planned: Planned, args: unknown): Task {
  if (typeof planned === 'function') return planned(args, { name: 'fixture' });
  return { kind: 'task', module: planned, args: () => args, name: 'fixture', options: {} };
}

/** Runs the module's plan against the fixture's recording: the plan, or the error it failed with. */
export async function planFromFixture(planned: Planned, fixture: PlannerFixture): Promise<{ plan?: Plan; error?: unknown; commands: string[] }> {
  const name = fixture.host?.name ?? 'host-01';
  const conn = new RecordedConnection(name, fixture.commands);
  const host: HostView = {
    name,
    vars: fixture.host?.vars ?? {},
    groups: fixture.host?.groups ?? ['all'],
    facts: (fixture.host?.facts ?? {}) as unknown as HostFacts,
    inventory: { hosts: {}, groups: {} },
  };
  const outcome = await startPlan(taskOf(planned, fixture.args), {
    conn,
    host,
    check: fixture.check ?? false,
    become: false,
    registered: {},
    baseDir: process.cwd(),
    earlierChanges: false,
  });
  return 'error' in outcome ? { error: outcome.error, commands: conn.ran } : { plan: outcome.plan, commands: conn.ran };
}

/** Asserts that the module plans what the fixture says; throws an AssertionError naming the fixture otherwise. */
export async function expectPlannerFixture(planned: Planned, fixture: PlannerFixture): Promise<void> {
  const { plan, error, commands } = await planFromFixture(planned, fixture);
  const where = `planner fixture "${fixture.name}"`;
  if (fixture.error !== undefined) {
    assert.ok(error !== undefined, `${where}: expected the plan to fail with "${fixture.error}", it planned ${JSON.stringify(plan?.changes.map((c) => c.description))}`);
    assert.ok(String((error as Error).message ?? error).includes(fixture.error), `${where}: expected an error containing "${fixture.error}", got: ${(error as Error).message ?? error}`);
    if (fixture.errorClass !== undefined) assert.equal((error as Error).name, fixture.errorClass, `${where}: error class`);
    return;
  }
  if (error !== undefined) throw new assert.AssertionError({ message: `${where}: the plan failed: ${(error as Error).message ?? error}`, actual: error, expected: 'a plan' });
  assert.equal(commands.length, fixture.commands.length, `${where}: the plan ran ${commands.length} of the ${fixture.commands.length} recorded commands`);
  if (fixture.changes !== undefined) assert.deepEqual(plan!.changes.map((c) => c.description), fixture.changes, `${where}: changes`);
  if (fixture.notes !== undefined) assert.deepEqual(plan!.notes ?? [], fixture.notes, `${where}: notes`);
  if (fixture.data !== undefined) assert.deepEqual(JSON.parse(JSON.stringify(plan!.data ?? null)), fixture.data, `${where}: data`);
}
