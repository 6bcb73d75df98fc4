import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse } from '@nestjs/swagger';
import { ApiErrorResponse } from '../../platform/errors/api-error-response.decorator';
import { IdParam } from '../../platform/http/id-param';
import { Page, PageOf } from '../../platform/http/pagination';
import { AgentService } from './agent.service';
import { AdminOnly } from './auth/caller';
import {
  AgentResponse,
  CreateAgentDto,
  ListAgentsQuery,
  mapAgent,
  UpdateAgentDto,
} from './dto/agent.dto';

@Controller('api/agents')
@AdminOnly()
@ApiErrorResponse('forbidden', 'a signed-in agent whose role is not admin')
export class AgentController {
  constructor(private readonly agents: AgentService) {}

  @Post()
  @ApiCreatedResponse({ type: AgentResponse })
  @ApiErrorResponse('conflict', 'another agent has that email')
  async create(@Body() body: CreateAgentDto): Promise<AgentResponse> {
    return mapAgent(await this.agents.createAgent(body));
  }

  @Get()
  @ApiOkResponse({ type: PageOf(AgentResponse) })
  list(@Query() query: ListAgentsQuery): Promise<Page<AgentResponse>> {
    return this.agents.listAgents(query);
  }

  @Get(':id')
  @ApiOkResponse({ type: AgentResponse })
  async get(@IdParam() id: string): Promise<AgentResponse> {
    return mapAgent(await this.agents.getAgent(id));
  }

  @Patch(':id')
  @ApiOkResponse({ type: AgentResponse })
  @ApiErrorResponse('conflict', 'another agent has that email')
  async update(@IdParam() id: string, @Body() body: UpdateAgentDto): Promise<AgentResponse> {
    return mapAgent(await this.agents.updateAgent(id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({
    description: 'deleted; its sessions end, its conversations become unassigned',
  })
  async remove(@IdParam() id: string): Promise<void> {
    await this.agents.deleteAgent(id);
  }
}
