/** Which SSH authentication methods a connection tries, in which order (never ssh2's "none" probe). */
import { describe, expect, it } from 'vitest';
import { authMethods } from '../../src/transport/ssh-connect.ts';

describe('authMethods', () => {
  it("tries the inventory's key, then its password, then the agent; 'none' only when there is nothing else", () => {
    expect(authMethods({ privateKey: 'KEY', agent: '/run/agent.sock', password: 'pw' })).toEqual(['publickey', 'password', 'agent']);
    expect(authMethods({ agent: '/run/agent.sock', password: 'pw' })).toEqual(['password', 'agent']);
    expect(authMethods({ agent: '/run/agent.sock' })).toEqual(['agent']);
    expect(authMethods({})).toEqual(['none']);
  });
});
