/** Which SSH authentication methods a connection tries, in which order (never ssh2's "none" probe). */
import { describe, expect, it } from 'vitest';
import { authMethods } from '../../src/transport/ssh-connect.ts';

describe('authMethods', () => {
  it("tries the key, then the agent, then the password, as OpenSSH does; never a round trip for 'none'", () => {
    expect(authMethods({ privateKey: 'KEY', agent: '/run/agent.sock', password: 'pw' })).toEqual(['publickey', 'agent', 'password']);
    expect(authMethods({ agent: '/run/agent.sock' })).toEqual(['agent']);
    expect(authMethods({ password: 'pw' })).toEqual(['password']);
    expect(authMethods({})).toEqual([]);
  });
});
