import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { newId } from '../../platform/database/new-id';
import { DomainError } from '../../platform/errors/domain-error';
import { fetchPage, Page } from '../../platform/http/pagination';
import { AgentSession } from './agent-session.entity';
import { Agent } from './agent.entity';
import {
  AgentResponse,
  CreateAgentDto,
  ListAgentsQuery,
  mapAgent,
  UpdateAgentDto,
} from './dto/agent.dto';
import { hashPassword } from './password-hash';

export const normalizeAgentEmail = (email: string) => email.trim().toLowerCase();

@Injectable()
export class AgentService {
  constructor(@InjectRepository(Agent) private readonly agents: Repository<Agent>) {}

  async createAgent(input: CreateAgentDto): Promise<Agent> {
    const agent = this.agents.create({
      id: newId(),
      email: normalizeAgentEmail(input.email),
      name: input.name,
      role: input.role,
      passwordHash: await hashPassword(input.password),
    });
    return this.agents.save(agent);
  }

  async getAgent(id: string): Promise<Agent> {
    const agent = await this.agents.findOneBy({ id });
    if (!agent) throw DomainError.notFound('agent', id);
    return agent;
  }

  findAgentByEmail(email: string): Promise<Agent | null> {
    return this.agents.findOneBy({ email: normalizeAgentEmail(email) });
  }

  listAgents(query: ListAgentsQuery): Promise<Page<AgentResponse>> {
    return fetchPage(this.agents.createQueryBuilder('agent'), query, mapAgent);
  }

  /** A new password ends every session of the agent: whoever knew the old one is signed out. */
  async updateAgent(id: string, input: UpdateAgentDto): Promise<Agent> {
    const passwordHash = input.password ? await hashPassword(input.password) : undefined;
    return this.agents.manager.transaction(async (manager) => {
      const agent = await manager.findOne(Agent, {
        where: { id },
        lock: { mode: 'pessimistic_write' },
      });
      if (!agent) throw DomainError.notFound('agent', id);
      if (input.email !== undefined) agent.email = normalizeAgentEmail(input.email);
      if (input.name !== undefined) agent.name = input.name;
      if (input.role !== undefined) agent.role = input.role;
      if (passwordHash) {
        agent.passwordHash = passwordHash;
        await manager.delete(AgentSession, { agentId: id });
      }
      return manager.save(agent);
    });
  }

  /** Their sessions go with them; their conversations become unassigned (a foreign key rule). */
  async deleteAgent(id: string): Promise<void> {
    const { affected } = await this.agents.delete({ id });
    if (!affected) throw DomainError.notFound('agent', id);
  }
}
