import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import { LessThan, Repository } from 'typeorm';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { DomainError } from '../../platform/errors/domain-error';
import { AgentSession } from './agent-session.entity';
import { Agent } from './agent.entity';
import { AgentService, normalizeAgentEmail } from './agent.service';
import { UNMATCHABLE_HASH, verifyPassword } from './password-hash';
import { SignInThrottle } from './sign-in-throttle';

export interface SignedIn {
  agent: Agent;
  /** The cookie's value; only its sha256 is stored. */
  token: string;
}

/** One message for an unknown email and a wrong password, so neither answer reveals the other. */
export const WRONG_CREDENTIALS = 'email or password is wrong';

const tokenHash = (token: string) => createHash('sha256').update(token).digest();

@Injectable()
export class SessionService {
  constructor(
    @InjectRepository(AgentSession) private readonly sessions: Repository<AgentSession>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly agents: AgentService,
    private readonly throttle: SignInThrottle,
  ) {}

  async signIn(email: string, password: string): Promise<SignedIn> {
    const normalized = normalizeAgentEmail(email);
    await this.throttle.admit(normalized);
    const agent = await this.agents.findAgentByEmail(normalized);
    // An unknown email still costs one scrypt run, like a wrong password.
    const matches = await verifyPassword(password, agent?.passwordHash ?? UNMATCHABLE_HASH);
    if (!agent || !matches) throw new DomainError('unauthorized', WRONG_CREDENTIALS);
    await this.throttle.forget(normalized);

    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    // The agent's ended sessions are cleared here rather than by a sweeper: few rows, one index.
    await this.sessions.delete({ agentId: agent.id, expiresAt: LessThan(new Date(now)) });
    await this.sessions.insert({
      tokenHash: tokenHash(token),
      agentId: agent.id,
      expiresAt: new Date(now + this.config.sessionTtlMs),
    });
    return { agent, token };
  }

  /** The agent a session token signs in, or null when it is unknown, ended or expired. */
  async findSignedInAgent(token: string): Promise<Agent | null> {
    return this.sessions.manager
      .createQueryBuilder(Agent, 'agent')
      .innerJoin(AgentSession, 'session', 'session.agent_id = agent.id')
      .where('session.token_hash = :hash AND session.expires_at > now()', {
        hash: tokenHash(token),
      })
      .getOne();
  }

  /** Of these session tokens, the ones still signed in (one query, for open sockets). */
  async stillSignedIn(tokens: string[]): Promise<Set<string>> {
    if (tokens.length === 0) return new Set();
    const byHash = new Map(tokens.map((token) => [tokenHash(token).toString('hex'), token]));
    const rows: { hash: string }[] = await this.sessions.manager.query(
      `SELECT encode(token_hash, 'hex') AS hash FROM agent_sessions
        WHERE token_hash = ANY($1) AND expires_at > now()`,
      [[...byHash.keys()].map((hash) => Buffer.from(hash, 'hex'))],
    );
    return new Set(rows.map((row) => byHash.get(row.hash)!));
  }

  /** The row goes, so the cookie stops working in every API process at once. */
  async signOut(token: string): Promise<void> {
    await this.sessions.delete({ tokenHash: tokenHash(token) });
  }
}
