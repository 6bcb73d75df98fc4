import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsNotEmpty, IsString, MaxLength, MinLength } from 'class-validator';
import { Optional } from '../../../platform/http/optional';
import { PageQuery } from '../../../platform/http/pagination';
import { AGENT_ROLES } from '../agent.entity';
import type { Agent, AgentRole } from '../agent.entity';

export const MIN_PASSWORD_LENGTH = 12;
/** Far above any passphrase; keeps one sign-in's hashing input bounded. */
export const MAX_PASSWORD_LENGTH = 1024;

const PasswordField = () =>
  applyDecorators(
    IsString(),
    MinLength(MIN_PASSWORD_LENGTH, {
      message: `password must be at least ${MIN_PASSWORD_LENGTH} characters long`,
    }),
    MaxLength(MAX_PASSWORD_LENGTH),
  );

export class CreateAgentDto {
  @ApiProperty({ example: 'grace@example.com', description: 'stored lower-cased; unique' })
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email: string;

  @ApiProperty({ example: 'Grace Hopper', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiProperty({
    minLength: MIN_PASSWORD_LENGTH,
    maxLength: MAX_PASSWORD_LENGTH,
    example: 'correct horse battery staple',
    description: 'write-only: stored as a scrypt hash, never returned',
  })
  @PasswordField()
  password: string;

  @ApiProperty({ enum: AGENT_ROLES, example: 'agent', description: 'admins also manage agents' })
  @IsIn(AGENT_ROLES)
  role: AgentRole;
}

/** Each field given replaces the stored one; a new password signs the agent out everywhere. */
export class UpdateAgentDto {
  @ApiPropertyOptional({ example: 'grace@example.com' })
  @Optional()
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ example: 'Grace Hopper', maxLength: 200 })
  @Optional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ minLength: MIN_PASSWORD_LENGTH, maxLength: MAX_PASSWORD_LENGTH })
  @Optional()
  @PasswordField()
  password?: string;

  @ApiPropertyOptional({ enum: AGENT_ROLES })
  @Optional()
  @IsIn(AGENT_ROLES)
  role?: AgentRole;
}

export class ListAgentsQuery extends PageQuery {}

export class AgentResponse {
  @ApiProperty({ format: 'uuid', example: '0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e30' })
  id: string;
  @ApiProperty({ example: 'grace@example.com' })
  email: string;
  @ApiProperty({ example: 'Grace Hopper' })
  name: string;
  @ApiProperty({ enum: AGENT_ROLES, example: 'agent' })
  role: AgentRole;
  @ApiProperty({ format: 'date-time' })
  created_at: string;
  @ApiProperty({ format: 'date-time' })
  updated_at: string;
}

/** The only way an agent leaves the module: the password hash is not a field here. */
export function mapAgent(agent: Agent): AgentResponse {
  return {
    id: agent.id,
    email: agent.email,
    name: agent.name,
    role: agent.role,
    created_at: agent.createdAt.toISOString(),
    updated_at: agent.updatedAt.toISOString(),
  };
}
