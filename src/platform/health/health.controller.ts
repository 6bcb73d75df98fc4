import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import {
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Public } from '../http/public.decorator';
import { configuredChannels } from './configured-channels';
import { ReadinessReports } from './readiness-reports';
import { RedisHealthIndicator } from './redis.health';

const READY_EXAMPLE = {
  status: 'ok',
  info: {
    postgres: { status: 'up' },
    redis: { status: 'up' },
    channels: { status: 'up', whatsapp: true, sms: false, email: true, web: true, mailer: 'smtp' },
    senders: {
      status: 'up',
      failing: [
        {
          id: '6f1c2d3e-0000-4000-8000-000000000010',
          channel: 'sms',
          name: 'Sales',
          last_error: 'Twilio 20003: Authenticate',
          last_error_at: '2026-01-05T10:00:00.000Z',
        },
      ],
    },
  },
  error: {},
  details: {},
};

/** Probes for load balancers and orchestrators: no API key, no database work beyond SELECT 1. */
@Public()
@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly health: HealthCheckService,
    private readonly postgres: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly reports: ReadinessReports,
  ) {}

  /** The process answers; restart it if not. Checks no dependency, so an outage restarts nothing. */
  @Get('live')
  @ApiOkResponse({ schema: { example: { status: 'ok', info: {}, error: {}, details: {} } } })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /**
   * Postgres and Redis answer: send traffic here. 503 with the failing part otherwise. Module
   * reports (e.g. `senders`: those whose last try failed) are listed but never fail it.
   */
  @Get('ready')
  @ApiOkResponse({ schema: { example: READY_EXAMPLE } })
  @ApiServiceUnavailableResponse({ description: 'Postgres or Redis is down; the body says which' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    try {
      return await this.health.check([
        () => this.postgres.pingCheck('postgres', { timeout: 1_000 }),
        () => this.redis.pingCheck('redis'),
        () =>
          this.indicators.check('channels').up({
            ...configuredChannels(this.config),
            mailer: this.config.mail.mailer,
          }),
        ...this.reports.entries().map(([name, report]) => async () => {
          const indicator = this.indicators.check(name);
          // Informational: a report that cannot be made (Postgres away) says so, stays up.
          return indicator.up(await report().catch((error: Error) => ({ unknown: error.message })));
        }),
      ]);
    } catch (error) {
      // Terminus reports "not ready" as an exception; its body (which check failed) is the answer.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      void reply.status(503);
      return error.getResponse();
    }
  }
}
