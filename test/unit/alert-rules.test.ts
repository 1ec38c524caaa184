/**
 * The alert rules (templates/prometheus-alerts.yml.ejs) rendered as the site renders them, checked and
 * unit-tested by promtool itself: `promtool check rules` (what the template's `validate` runs on the
 * host) and `promtool test rules` on test/fixtures/prometheus/alerts.test.yml, which has a firing and a
 * non-firing case for every alert. promtool comes from scripts/ensure-promtool.sh (.ci/run calls it).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ALERT_NAMES, alertRuleVars, type AlertRuleVars } from '../../playbooks/roles/alert-rules.ts';
import { renderTemplateFile } from '../../src/template/render.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const PROMTOOL = process.env.PROMTOOL ?? path.join(ROOT, '.cache/promtool/promtool');
const FIXTURE = path.join(ROOT, 'test/fixtures/prometheus/alerts.test.yml');
const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-alert-rules-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function requirePromtool(): string {
  if (!existsSync(PROMTOOL)) {
    throw new Error(`promtool not found at ${PROMTOOL}: run scripts/ensure-promtool.sh (it extracts promtool from Debian's prometheus package into .cache/promtool/), or set PROMTOOL`);
  }
  return PROMTOOL;
}

function renderRules(vars: AlertRuleVars): string {
  return renderTemplateFile('templates/prometheus-alerts.yml.ejs', vars, ROOT);
}

async function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  const bin = requirePromtool();
  try {
    const { stdout, stderr } = await run(bin, args, { cwd: dir });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

type RuleFile = { groups: { name: string; rules: { alert: string; expr: string; for: string }[] }[] };
const alertsIn = (text: string) => (parse(text) as RuleFile).groups.flatMap((g) => g.rules.map((r) => r.alert));

// The fixture's rendering: default thresholds and durations, every optional rule on.
const full = alertRuleVars({ semiSync: true, floatingAddress: '10.0.0.100' });

describe('alert rules', () => {
  it('render to rules promtool accepts, with every alert when semi-sync and a floating address are on', async () => {
    const text = renderRules(full);
    writeFileSync(path.join(dir, 'full.yml'), text);
    const check = await promtool('check', 'rules', 'full.yml');
    expect(check.output).toContain('SUCCESS');
    expect(check.code, check.output).toBe(0);
    expect(alertsIn(text).sort()).toEqual([...ALERT_NAMES].sort());
  });

  it('leave out the semi-sync and floating-address alerts when those are off', async () => {
    const text = renderRules(alertRuleVars());
    writeFileSync(path.join(dir, 'plain.yml'), text);
    const check = await promtool('check', 'rules', 'plain.yml');
    expect(check.code, check.output).toBe(0);
    const alerts = alertsIn(text);
    expect(alerts).not.toContain('MysqlSemiSyncFellBackToAsync');
    expect(alerts).not.toContain('FloatingAddressUnheld');
    expect(alerts).not.toContain('FloatingAddressHeldTwice');
    expect(alerts).toContain('MysqlReplicaSqlThreadStopped');
  });

  it('take `for:` durations from the inventory', () => {
    const text = renderRules(alertRuleVars({ alertFor: { HaproxyServerDown: '10s' } }));
    const rule = (parse(text) as RuleFile).groups.flatMap((g) => g.rules).find((r) => r.alert === 'HaproxyServerDown');
    expect(rule?.for).toBe('10s');
  });

  it('have a firing and a non-firing case for every alert in the promtool fixture', () => {
    type Case = { alertname: string; exp_alerts: unknown[] };
    const fixture = parse(readFileSync(FIXTURE, 'utf8')) as { tests: { alert_rule_test: Case[] }[] };
    const cases = fixture.tests.flatMap((t) => t.alert_rule_test);
    for (const name of ALERT_NAMES) {
      const mine = cases.filter((c) => c.alertname === name);
      expect(mine.some((c) => c.exp_alerts.length === 0), `${name}: no non-firing case`).toBe(true);
      expect(mine.some((c) => c.exp_alerts.length > 0), `${name}: no firing case`).toBe(true);
    }
  });

  it('pass promtool\'s rule unit tests (test/fixtures/prometheus/alerts.test.yml)', async () => {
    writeFileSync(path.join(dir, 'alerts.yml'), renderRules(full));
    copyFileSync(FIXTURE, path.join(dir, 'alerts.test.yml'));
    const result = await promtool('test', 'rules', 'alerts.test.yml');
    expect(result.output).toContain('SUCCESS');
    expect(result.code, result.output).toBe(0);
  });
});

describe('the README table of alert rules', () => {
  it('is the one generated from the template (npx tsx scripts/alert-rules-table.ts --write)', async () => {
    const { alertRulesTable, readmeTable } = await import('../../scripts/alert-rules-table.ts');
    expect(readmeTable(readFileSync(path.join(ROOT, 'README.md'), 'utf8'))).toBe(alertRulesTable());
  });
});
