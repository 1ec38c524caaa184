import { TaskError } from '../../errors.ts';
import { raw, sh } from '../../transport/quote.ts';
import type { ExecResult } from '../../transport/types.ts';

/** Where apt (and Ubuntu's update-notifier, and Ansible) record the last successful `apt-get update`. */
export const UPDATE_STAMP = '/var/lib/apt/periodic/update-success-stamp';

/**
 * The environment every apt-get call needs on a server: no debconf prompts, and on Ubuntu no
 * needrestart prompt either (it would hang the session waiting for a terminal).
 */
const NONINTERACTIVE = raw('DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a');

/**
 * `apt-get update` that fails on any source it could not fetch (by default apt only warns, and the
 * install that follows then fails far from the cause) and touches the stamp that cacheValidTime is
 * measured against. apt does not wait for the lists lock (DPkg::Lock::Timeout is dpkg's lock only):
 * run waitForLocks(LISTS_LOCKS) first.
 */
export function updateCommand(): string {
  return sh`${NONINTERACTIVE} apt-get -q --error-on=any update && mkdir -p /var/lib/apt/periodic && touch ${UPDATE_STAMP}`;
}

export interface TransactionOptions {
  action: 'install' | 'remove' | 'purge';
  packages: string[];
  lockTimeout: number;
  installRecommends: boolean;
  defaultRelease?: string;
  allowDowngrades?: boolean;
  /** Exit code of /usr/sbin/policy-rc.d while the transaction runs (101: services are not started). */
  policyRcD?: number;
}

const POLICY_RC_D = '/usr/sbin/policy-rc.d';
const POLICY_RC_D_SAVED = `${POLICY_RC_D}.shipshape-saved`;

/**
 * Runs `command` (in a subshell) with a policy-rc.d that exits `code`, as Debian's invoke-rc.d and
 * deb-systemd-invoke consult before a maintainer script starts a service; the host's own
 * policy-rc.d, if it has one, is moved aside and put back however the command ends.
 */
export function withPolicyRcD(code: number, command: string): string {
  const script = `#!/bin/sh\nexit ${code}\n`;
  return (
    sh`( restore() { rm -f ${POLICY_RC_D}; if [ -e ${POLICY_RC_D_SAVED} ]; then mv -f ${POLICY_RC_D_SAVED} ${POLICY_RC_D}; fi; }; ` +
    sh`trap restore EXIT; trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM; ` +
    sh`if [ -e ${POLICY_RC_D} ]; then mv -f ${POLICY_RC_D} ${POLICY_RC_D_SAVED}; fi; ` +
    sh`printf ${script} > ${POLICY_RC_D} && chmod 0755 ${POLICY_RC_D} && { ` +
    `${command}; } )`
  );
}

/** One apt-get transaction for all packages, so dependencies resolve together and dpkg runs once. */
export function transactionCommand(options: TransactionOptions): string {
  const flags = [
    '-y',
    '-q',
    '-o',
    `DPkg::Lock::Timeout=${options.lockTimeout}`,
    // Keep a locally changed config file and take the package's default for untouched ones,
    // instead of stopping at dpkg's interactive question.
    '-o',
    'Dpkg::Options::=--force-confdef',
    '-o',
    'Dpkg::Options::=--force-confold',
    // Said explicitly either way, so a host's own apt.conf does not decide.
    '-o',
    `APT::Install-Recommends=${options.installRecommends ? 'true' : 'false'}`,
    ...(options.defaultRelease ? ['-t', options.defaultRelease] : []),
    ...(options.allowDowngrades ? ['--allow-downgrades'] : []),
  ];
  const transaction = sh`${NONINTERACTIVE} apt-get ${flags} ${options.action} ${options.packages}`;
  // A maintainer script that fails once (a server slow to start under load, as MySQL's postinst
  // can be) leaves packages unpacked but unconfigured, and every later apt-get refuses to run until
  // `dpkg --configure -a`. Do that and try the transaction once more, like a person would; a
  // deterministic failure fails again, with its output.
  const withRetry = `${transaction} || { rc=$?; if [ -n "$(dpkg --audit 2>/dev/null)" ]; then echo 'dpkg left packages unconfigured: dpkg --configure -a, then the transaction once more' >&2; ${sh`${NONINTERACTIVE} dpkg --force-confdef --force-confold --configure -a`} && ${transaction}; else exit $rc; fi; }`;
  return options.policyRcD === undefined ? withRetry : withPolicyRcD(options.policyRcD, withRetry);
}

/** Turns apt-get's lock and lookup failures into messages a user can act on; null when not one of those. */
export function explainAptFailure(result: ExecResult, lockTimeout: number, context: { host: string; task: string }): TaskError | null {
  const output = `${result.stderr}\n${result.stdout}`;
  // The locks were free a moment ago (waitForLocks): another process took one in between. apt
  // prints "Could not get lock ... held by process N (name)", which names it; for the lists lock apt
  // did not wait at all, so the message claims no wait.
  const lock = /Could not get lock [^\n]*/.exec(output) ?? /Unable to acquire the dpkg [^\n]*/.exec(output);
  if (lock) {
    return new TaskError(`another process took apt's lock as apt-get started (lockTimeout ${lockTimeout} s): ${lock[0].trim()}`, context);
  }
  const missing = [...output.matchAll(/Unable to locate package (\S+)/g)].map((m) => m[1]);
  if (missing.length > 0) {
    return new TaskError(`no package named ${missing.map((n) => `'${n}'`).join(', ')} in apt's lists`, context);
  }
  return null;
}
