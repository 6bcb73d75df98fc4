import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { AgentService } from './modules/agents/agent.service';
import { AgentsModule } from './modules/agents/agents.module';
import { CreateAgentDto, mapAgent } from './modules/agents/dto/agent.dto';
import { ConfigModule } from './platform/config/config.module';
import { loadConfigOrExit } from './platform/config/load-config-or-exit';
import { dataSourceOptions } from './platform/database/data-source-options';

const USAGE =
  'usage: npm run agent:create -- --email E --name N --role admin|agent\n' +
  '  the password comes from AGENT_PASSWORD, or is asked for when run in a terminal\n';

/**
 * `npm run agent:create`: the first admin of a deployment (or any agent) without the API. The
 * password is never an argument: arguments show in `ps` and shell history.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' } },
  });
  const password = process.env.AGENT_PASSWORD ?? (await promptPassword());
  if (password === undefined) {
    process.stderr.write(`no password: set AGENT_PASSWORD or run in a terminal\n${USAGE}`);
    return 64; // EX_USAGE
  }
  const input = plainToInstance(CreateAgentDto, { ...values, password });
  const problems = await validate(input, { forbidUnknownValues: false });
  if (problems.length > 0) {
    for (const problem of problems) {
      for (const message of Object.values(problem.constraints ?? {})) {
        process.stderr.write(`${message}\n`);
      }
    }
    process.stderr.write(USAGE);
    return 64;
  }

  const config = loadConfigOrExit();
  @Module({
    imports: [
      ConfigModule.forRoot(config),
      TypeOrmModule.forRoot(dataSourceOptions(config)),
      AgentsModule,
    ],
  })
  class CreateAgentModule {}
  const app = await NestFactory.createApplicationContext(CreateAgentModule, {
    logger: ['error'],
  });
  try {
    const agent = await app.get(AgentService).createAgent(input);
    process.stdout.write(`${JSON.stringify(mapAgent(agent))}\n`);
    return 0;
  } catch (error) {
    const code = (error as { driverError?: { code?: string } }).driverError?.code;
    if (code !== '23505') throw error;
    process.stderr.write(`an agent with the email ${input.email} already exists\n`);
    return 1;
  } finally {
    await app.close();
  }
}

/** Reads a password from the terminal without echoing it; undefined when stdin is not one. */
async function promptPassword(): Promise<string | undefined> {
  if (!process.stdin.isTTY) return undefined;
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stdout.write(chunk);
      done();
    },
  });
  const terminal = createInterface({ input: process.stdin, output, terminal: true });
  const answer = new Promise<string>((resolve) => terminal.question('Password: ', resolve));
  muted = true;
  const password = await answer;
  terminal.close();
  process.stdout.write('\n');
  return password;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`agent not created: ${error.message}\n`);
    process.exit(1);
  },
);
