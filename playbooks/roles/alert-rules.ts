/**
 * The alert rules' knobs, shared by the monitoring role (which renders templates/prometheus-alerts.yml.ejs
 * from them) and the rules' unit tests (which render the same template and run `promtool test rules`).
 * An inventory overrides any `for:` duration through `alertFor` (the lab shortens them so its tests
 * see alerts fire within a minute).
 */
export const ALERT_NAMES = [
  'TargetDown',
  'HaproxyServerDown',
  'HaproxyBackendNoServer',
  'MysqlDown',
  'MysqlReplicaIoThreadStopped',
  'MysqlReplicaSqlThreadStopped',
  'MysqlReplicationLag',
  'MysqlSemiSyncFellBackToAsync',
  'SiteProbeFailed',
  'CertificateExpiringSoon',
  'DiskSpaceLow',
  'DiskFillingUp',
  'FloatingAddressUnheld',
  'FloatingAddressHeldTwice',
  'ConfigurationDrifted',
  'DriftCheckFailed',
] as const;

export type AlertName = (typeof ALERT_NAMES)[number];

/** How long each condition must hold before the alert fires (Prometheus duration strings). */
export const DEFAULT_ALERT_FOR: Record<AlertName, string> = {
  TargetDown: '2m',
  HaproxyServerDown: '1m',
  HaproxyBackendNoServer: '30s',
  MysqlDown: '1m',
  MysqlReplicaIoThreadStopped: '2m',
  MysqlReplicaSqlThreadStopped: '1m',
  MysqlReplicationLag: '5m',
  MysqlSemiSyncFellBackToAsync: '2m',
  SiteProbeFailed: '2m',
  CertificateExpiringSoon: '15m',
  DiskSpaceLow: '5m',
  DiskFillingUp: '30m',
  FloatingAddressUnheld: '1m',
  FloatingAddressHeldTwice: '30s',
  ConfigurationDrifted: '0s',
  DriftCheckFailed: '0s',
};

export type AlertRuleVars = {
  alertFor: Record<AlertName, string>;
  /** Seconds a replica may lag behind its source. */
  replicationLagSeconds: number;
  /** Days before a served certificate expires that the alert fires. */
  certificateDays: number;
  /** Free space (percent of the filesystem) under which DiskSpaceLow fires. */
  diskFreePercent: number;
  /** HAProxy backends (proxy names) whose servers are watched. */
  haproxyBackends: string[];
  /** Semi-synchronous replication is enabled on the primary: alert when it falls back to async. */
  semiSync: boolean;
  /** keepalived's floating address when the load balancers are a pair, else null. */
  floatingAddress: string | null;
};

export function alertRuleVars(overrides: Partial<Omit<AlertRuleVars, 'alertFor'>> & { alertFor?: Partial<Record<AlertName, string>> } = {}): AlertRuleVars {
  return {
    replicationLagSeconds: 300,
    certificateDays: 14,
    diskFreePercent: 10,
    haproxyBackends: ['web'],
    semiSync: false,
    floatingAddress: null,
    ...overrides,
    alertFor: { ...DEFAULT_ALERT_FOR, ...overrides.alertFor },
  };
}
