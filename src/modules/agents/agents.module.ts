import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentController } from './agent.controller';
import { AgentSession } from './agent-session.entity';
import { Agent } from './agent.entity';
import { AgentService } from './agent.service';
import { AuthenticationGuard } from './auth/authentication.guard';
import { SessionController } from './session.controller';
import { SessionService } from './session.service';
import { SignInThrottle } from './sign-in-throttle';

/**
 * Agents, their sessions, and the authentication of every API request (AuthenticationGuard,
 * installed as the global guard by the API module) and socket (SessionService).
 */
@Module({
  imports: [TypeOrmModule.forFeature([Agent, AgentSession])],
  controllers: [AgentController, SessionController],
  providers: [AgentService, SessionService, SignInThrottle, AuthenticationGuard],
  exports: [AgentService, SessionService, AuthenticationGuard],
})
export class AgentsModule {}
