import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { AgentResponse, MAX_PASSWORD_LENGTH } from './agent.dto';

/**
 * No shape checks beyond strings: a malformed email is answered like a wrong one (401), so the
 * answer never tells which emails could be agents.
 */
export class SignInDto {
  @ApiProperty({ example: 'grace@example.com' })
  @IsString()
  @MaxLength(254)
  email: string;

  @ApiProperty({ example: 'correct horse battery staple' })
  @IsString()
  @MaxLength(MAX_PASSWORD_LENGTH)
  password: string;
}

export class SessionResponse {
  @ApiProperty({ type: () => AgentResponse })
  agent: AgentResponse;
}
