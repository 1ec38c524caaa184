import type { z } from 'zod';
import type { HostFacts } from '../facts/types.ts';
import type { ExecOptions, ExecResult, HostConnection } from '../transport/types.ts';
import type { Coalescable } from './coalesce.ts';
import type { ErrorInfo } from '../error-info.ts';

/** One thing a task would change. `--check` prints these; apply makes exactly these. */
export interface Change {
  /** Human line: "install nginx", "set balance roundrobin". */
  description: string;
  /** For file content: before/after text so --diff can print a unified diff. */
  diff?: { path: string; before: string; after: string };
  /**
   * The file's content holds a secret: the change carries no text (no `diff`), and every output
   * says "content differs, sensitive" instead (src/task/sensitive.ts).
   */
  sensitive?: boolean;
}

/** What plan() returns, besides its data: the changes (empty = ok), notes and output. */
export interface PlanFields {
  changes: Change[];
  /**
   * Facts worth showing that are not changes (apt's lists older than cacheValidTime, a held
   * package that `latest` leaves alone): printed with the task, never counted, so `plan` used as a
   * drift detector does not alert on them.
   */
  notes?: string[];
  /**
   * apply has work to do that is not a change of the host's configured state (refreshing apt's
   * lists): apply runs even when `changes` is empty, and the task is `ok` unless apply reports
   * `changed: true`. Check mode only shows the notes.
   */
  upkeep?: boolean;
  /**
   * The task's output when apply does not run (nothing to change, or --check): a guard's verdict,
   * an HTTP answer. Registered results and reporters show it as the task's output.
   */
  output?: Record<string, unknown>;
}

/**
 * What plan() returns: the outcome and the data apply() needs, passed back to it untouched. A
 * module that declares its Data gets it in apply() for sure (required here); one whose Data may
 * be undefined (the default, or `undefined`) may leave it out.
 */
export type Plan<Data = unknown> = PlanFields & (undefined extends Data ? { data?: Data } : { data: Data });

/** Another host of the inventory, as a task may see it (Ansible's hostvars). */
export interface PeerView {
  name: string;
  /** The address shipshape connects to. */
  address: string;
  vars: Record<string, unknown>;
  groups: string[];
}

/** The whole inventory, read-only: for addressing peers (backends, replication source, firewall sources). */
export interface InventoryView {
  hosts: Record<string, PeerView>;
  /** Group name → its host names, in inventory order. */
  groups: Record<string, string[]>;
}

/** The host as seen by a task: name, merged vars, facts. */
export interface HostView<Vars = Record<string, unknown>> {
  name: string;
  vars: Vars;
  facts: HostFacts;
  groups: string[];
  inventory: InventoryView;
}

/** The outcome of one task on one host, readable by later tasks of the same host (Ansible's register). */
export interface TaskResult {
  status: 'ok' | 'changed' | 'failed' | 'skipped';
  changes: Change[];
  /** The plan's notes (Plan.notes): shown, never counted as changes. */
  notes?: string[];
  /** Module-specific output (e.g. a command's stdout/exitCode). */
  output?: Record<string, unknown>;
  /** A failure's message, as printed. */
  error?: string;
  /** The same failure as data (class, command, exit code, stderr tail, cause chain): --json and -v read it. */
  errorInfo?: ErrorInfo;
  /** A failure that `ignoreErrors` let the host carry on from. */
  ignored?: boolean;
  /** In check mode: the task could only plan as "would change, after earlier changes". */
  afterEarlierChanges?: boolean;
  durationMs: number;
}

/** What a module sees while it plans or applies. */
export interface TaskContext {
  host: HostView;
  /** True under --check: plan() is all that runs. */
  check: boolean;
  /** The name of the running task, for messages. */
  task: string;
  /** Results of earlier tasks of this host, by their `register` name. */
  registered: Record<string, TaskResult>;
  /** Runs a command with the task's become setting; never throws on a non-zero exit. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Runs a command and throws CommandError (naming host and task) on a non-zero exit. */
  run(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Directory on the controller that relative local paths (files, templates) resolve against. */
  baseDir: string;
  /**
   * The connection to another host of this run (e.g. the MySQL primary, to stream a dump to its
   * replica through the controller). Throws TaskError when that host is not connected. With
   * `connect: true`, a host of the inventory that the run does not target (left out by `--limit`)
   * is connected now, like Ansible's `delegate_to` (the CA that signs a web host's certificate).
   */
  peer(hostName: string, options?: { connect?: boolean }): HostConnection;
  /**
   * Runs a read together with the reads of the same kind that other tasks of this host start at
   * the same moment (prefetched plans): one remote command for all of them (coalesce.ts).
   */
  coalesce<Item, Result>(kind: Coalescable<Item, Result>, item: Item): Promise<Result>;
}

/**
 * Something a task manages on its host and the state it wants it in (Module.manages). Two tasks of
 * one host that manage one key with different states undo each other on every run: preflight warns.
 */
export interface Managed {
  /** What: `file:/etc/x`, `package:nginx`, `unit:nginx.service`, `user:deploy`, `mysql-db:app`. */
  key: string;
  /** The wanted state, in words (`present`, `absent`, `running`, `content from x.ejs`, `line edits`). */
  state: string;
}

/** What apply() did. Returning nothing means: made the planned changes; the plan's output stands. */
export interface Applied {
  /**
   * Whether the host changed. Default: the plan had changes. False when, having acted, apply found
   * that nothing changed (a command whose `changedWhen` says no); true when upkeep (Plan.upkeep)
   * turned into a change.
   */
  changed?: boolean;
  /** The task's output, for `register` and the reporters. Default: the plan's output. */
  output?: Record<string, unknown>;
}

/** A module: argument schema and the plan/apply halves. */
export interface Module<Args, Data = unknown, Input = Args> {
  /** `apt.packages`, `file.template`, ... */
  name: string;
  /** Validates what the playbook passes (Input, where defaults may be omitted) into Args. */
  schema: z.ZodType<Args, Input>;
  /** The default task name when the user gives none. */
  describe(args: Args): string;
  /**
   * plan() waits for something outside the host's configuration (http.check polls a URL until it
   * answers): the engine plans such a task only in its turn, never ahead with the tasks before it,
   * so it does not poll a service that an earlier task or handler is about to restart.
   */
  waits?: boolean;
  /** What the task manages on its host, for preflight's check of tasks that fight. Optional. */
  manages?(args: Args): Managed[];
  /** Reads state and returns what would change. No writes. */
  plan(ctx: TaskContext, args: Args): Promise<Plan<Data>>;
  /** Makes exactly the planned changes; says what it did when that is more than "the plan's changes" (Applied). */
  apply(ctx: TaskContext, args: Args, plan: Plan<Data>): Promise<Applied | void>;
}
