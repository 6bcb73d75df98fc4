import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { ReadinessReports } from './readiness-reports';
import { RedisHealthIndicator } from './redis.health';

/** Global so that modules can register readiness reports without importing this one. */
@Global()
@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json', gracefulShutdownTimeoutMs: 0 })],
  controllers: [HealthController],
  providers: [RedisHealthIndicator, ReadinessReports],
  exports: [ReadinessReports],
})
export class HealthModule {}
