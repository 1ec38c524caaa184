import { describe, expect, it } from 'vitest';
import { adminStateOf, currentSessions, parseServersState } from '../../src/modules/haproxy/probe.ts';
import { haproxyServerSchema } from '../../src/modules/haproxy/schema.ts';

// `show servers state web` as HAProxy 3.0.11 (Debian 13) prints it with web-1 drained; web-2's line
// edited to maintenance and down.
const STATE = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 web 1 web-1 127.0.0.1 2 8 1 1 15 6 3 2 6 0 0 0 - 8081 - 0 0 - - 0
3 web 2 web-2 127.0.0.1 0 1 1 1 3 1 0 0 14 0 0 0 - 8082 - 0 0 - - 0

`;

// The head of `show stat` (CSV) with the columns this module reads; the rest elided.
const STAT = `# pxname,svname,qcur,qmax,scur,smax,slim,stot,status
fe,FRONTEND,,,2,3,4096,40,OPEN
web,web-1,0,0,1,2,,20,DRAIN
web,web-2,0,0,0,1,,20,MAINT
web,BACKEND,0,0,1,2,410,40,UP

`;

describe('HAProxy runtime API parsing', () => {
  it('reads each server of show servers state by column name', () => {
    const servers = parseServersState(STATE)!;
    expect(servers).toEqual([
      { backend: 'web', server: 'web-1', opState: 2, adminState: 8 },
      { backend: 'web', server: 'web-2', opState: 0, adminState: 1 },
    ]);
    expect(servers.map(adminStateOf)).toEqual(['drain', 'maint']);
  });

  it('maint wins over drain; inherited or DNS flags are not an operator state', () => {
    const base = { backend: 'web', server: 'a', opState: 2 };
    expect(adminStateOf({ ...base, adminState: 0x01 | 0x08 })).toBe('maint');
    expect(adminStateOf({ ...base, adminState: 0x10 })).toBe('ready');
    expect(adminStateOf({ ...base, adminState: 0x20 })).toBe('ready');
    expect(adminStateOf({ ...base, adminState: 0 })).toBe('ready');
  });

  it('an error message from HAProxy is not a server list', () => {
    expect(parseServersState("Can't find backend.\n\n")).toBeUndefined();
    expect(parseServersState('')).toBeUndefined();
  });

  it('reads scur of one server from show stat', () => {
    expect(currentSessions(STAT, 'web', 'web-1')).toBe(1);
    expect(currentSessions(STAT, 'web', 'web-2')).toBe(0);
    expect(currentSessions(STAT, 'web', 'web-3')).toBeUndefined();
    expect(currentSessions('Unknown command\n', 'web', 'web-1')).toBeUndefined();
  });

  it('rejects a server name the runtime API cannot address, and fills the defaults', () => {
    expect(haproxyServerSchema.safeParse({ backend: 'web', server: 'web/1', state: 'drain' }).success).toBe(false);
    expect(haproxyServerSchema.safeParse({ backend: 'web', server: 'web-1', state: 'down' }).success).toBe(false);
    expect(haproxyServerSchema.parse({ backend: 'web', server: 'web-1', state: 'drain' })).toMatchObject({
      loadBalancers: [],
      socket: '/run/haproxy/admin.sock',
      drainTimeout: 60,
      upTimeout: 60,
    });
  });
});
