/**
 * The public API playbooks and inventories import: `import { apt, file, definePlaybook } from 'shipshape'`.
 * Modules are grouped by area, each function returning a task (plain data) validated on the spot.
 */
export { definePlaybook, play, type Play, type Playbook, type TaskList, type Handlers } from './playbook/define.ts';
export { flushHandlers } from './playbook/flush-handlers.ts';
export { moduleFunction, type Task, type TaskOptions, type RunContext } from './task/task.ts';
export { defineInventory, type InventoryInput } from './inventory/define.ts';
export { secret } from './secrets/refs.ts';
export { Secret } from './secrets/secret.ts';
export type { Module, Applied, Change, Plan, TaskContext, TaskResult, HostView, InventoryView, PeerView, Managed } from './task/types.ts';
/** For a module's probe that several tasks of one host may run at once as one command (ctx.coalesce). */
export type { Coalescable } from './task/coalesce.ts';
export type { Exec, Executor, ExecResult, ExecOptions } from './transport/types.ts';
export type { ErrorInfo } from './error-info.ts';
export type { HostFacts } from './facts/types.ts';
export { ShipshapeError, ConfigError, TaskError, CommandError, LabError } from './errors.ts';
export { sh, raw, quote } from './transport/quote.ts';
/**
 * zod, the very copy shipshape validates inventories and module arguments with: a playbook that
 * checks its variables needs no zod of its own, and loads none (a separate zod is about a hundred
 * ES module files to resolve and compile on every run).
 */
export { z } from 'zod';

export * as apt from './modules/apt/index.ts';
export { file } from './modules/file/index.ts';
export { service } from './modules/service/index.ts';
export * as systemd from './modules/systemd/index.ts';
export { user } from './modules/user/index.ts';
export { group } from './modules/group/index.ts';
export { sysctl } from './modules/sysctl/index.ts';
export * as command from './modules/command/index.ts';
export * as http from './modules/http/index.ts';
export * as ufw from './modules/ufw/index.ts';
export * as mysql from './modules/mysql/index.ts';
export * as certbot from './modules/certbot/index.ts';
export * as deploy from './modules/deploy/index.ts';
export * as haproxy from './modules/haproxy/index.ts';
export * as x509 from './modules/x509/index.ts';
