/**
 * Replication SQL by server flavour and version, as pure functions of `SELECT VERSION()`.
 * MySQL 8.0.23 introduced CHANGE REPLICATION SOURCE TO (8.0.22: START/SHOW REPLICA) and 8.4
 * removed the MASTER/SLAVE spellings; MariaDB and older MySQL only know CHANGE MASTER TO /
 * START SLAVE / SHOW SLAVE STATUS with Master_* / Slave_* columns.
 */
import { sqlInt, sqlString } from './sql.ts';

export interface ServerVersion {
  flavor: 'mysql' | 'mariadb';
  major: number;
  minor: number;
  patch: number;
  text: string;
}

export function parseVersion(text: string): ServerVersion {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  if (!match) throw new TypeError(`cannot read the server version from "${text}"`);
  return {
    flavor: /mariadb/i.test(text) ? 'mariadb' : 'mysql',
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
    text: text.trim(),
  };
}

function atLeast(v: ServerVersion, major: number, minor: number, patch: number): boolean {
  if (v.major !== major) return v.major > major;
  if (v.minor !== minor) return v.minor > minor;
  return v.patch >= patch;
}

export interface SourceSettings {
  host: string;
  port: number;
  user: string;
  password: string;
  autoPosition: boolean;
  getSourcePublicKey: boolean;
  ssl?: boolean;
  /** A CA file on the replica: the source's certificate must chain to it (TLS that authenticates). */
  sslCa?: string;
}

/** Replica status with the dialect's column names already mapped. */
export interface ReplicaStatus {
  host: string;
  port: number;
  user: string;
  ioRunning: string;
  sqlRunning: string;
  lastIoError: string;
  lastSqlError: string;
  autoPosition?: boolean;
  getSourcePublicKey?: boolean;
  sslAllowed?: boolean;
  /** The CA file the replica verifies its source against ('' when none). */
  sslCaFile?: string;
}

export interface Dialect {
  name: 'replica' | 'slave';
  flavor: ServerVersion['flavor'];
  showStatus: string;
  start: string;
  stop: string;
  /** CHANGE ... TO with the password inside: send it on stdin only. */
  changeSource(s: SourceSettings): string;
  /** Clears the binary logs and the GTID history so a seed's gtid_purged can be set. */
  resetGtids: string;
  /** Maps one SHOW ... STATUS row (column names as printed) to ReplicaStatus. */
  parseStatus(row: Record<string, string>): ReplicaStatus;
  /** Whether mysqldump's --set-gtid-purged seeding works here (MySQL GTIDs; not MariaDB's). */
  gtidSeeding: boolean;
}

function yes(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  return value === '1' || /^yes$/i.test(value);
}

export function dialectFor(version: ServerVersion): Dialect {
  const modern = version.flavor === 'mysql' && atLeast(version, 8, 0, 23);
  const S = modern ? 'Source' : 'Master';
  const R = modern ? 'Replica' : 'Slave';
  const opt = modern ? 'SOURCE' : 'MASTER';
  const resetGtids =
    version.flavor === 'mysql' && atLeast(version, 8, 4, 0) ? 'RESET BINARY LOGS AND GTIDS;' : 'RESET MASTER;';
  return {
    name: modern ? 'replica' : 'slave',
    flavor: version.flavor,
    showStatus: modern ? 'SHOW REPLICA STATUS;' : 'SHOW SLAVE STATUS;',
    start: modern ? 'START REPLICA;' : 'START SLAVE;',
    stop: modern ? 'STOP REPLICA;' : 'STOP SLAVE;',
    resetGtids,
    gtidSeeding: version.flavor === 'mysql',
    changeSource(s) {
      const parts = [
        `${opt}_HOST = ${sqlString(s.host)}`,
        `${opt}_PORT = ${sqlInt(s.port)}`,
        `${opt}_USER = ${sqlString(s.user)}`,
        `${opt}_PASSWORD = ${sqlString(s.password)}`,
      ];
      if (version.flavor === 'mariadb') {
        // MariaDB's GTIDs are domain-server-seq and positioned by gtid_slave_pos.
        parts.push(`MASTER_USE_GTID = ${s.autoPosition ? 'slave_pos' : 'no'}`);
      } else {
        parts.push(`${opt}_AUTO_POSITION = ${s.autoPosition ? 1 : 0}`);
        // GET_MASTER_PUBLIC_KEY exists from MySQL 8.0.4 (caching_sha2_password without TLS).
        if (atLeast(version, 8, 0, 4)) parts.push(`GET_${opt}_PUBLIC_KEY = ${s.getSourcePublicKey ? 1 : 0}`);
      }
      if (s.ssl !== undefined) parts.push(`${opt}_SSL = ${s.ssl ? 1 : 0}`);
      if (s.sslCa !== undefined) parts.push(`${opt}_SSL_CA = ${sqlString(s.sslCa)}`);
      return `CHANGE ${modern ? 'REPLICATION SOURCE' : 'MASTER'} TO ${parts.join(', ')};`;
    },
    parseStatus(row) {
      return {
        host: row[`${S}_Host`] ?? '',
        port: Number(row[`${S}_Port`] ?? 0),
        user: row[`${S}_User`] ?? '',
        ioRunning: row[`${R}_IO_Running`] ?? '',
        sqlRunning: row[`${R}_SQL_Running`] ?? '',
        lastIoError: row.Last_IO_Error ?? '',
        lastSqlError: row.Last_SQL_Error ?? '',
        autoPosition:
          version.flavor === 'mariadb' ? (row.Using_Gtid === undefined ? undefined : row.Using_Gtid !== 'No') : yes(row.Auto_Position),
        getSourcePublicKey: yes(row[`Get_${modern ? 'Source' : 'master'}_public_key`]),
        sslAllowed: yes(row[`${S}_SSL_Allowed`]),
        sslCaFile: row[`${S}_SSL_CA_File`],
      };
    },
  };
}
