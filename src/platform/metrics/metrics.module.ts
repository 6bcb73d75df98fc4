import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppMetrics } from './app-metrics';

/** One registry per process, injectable anywhere as AppMetrics. */
@Global()
@Module({})
export class MetricsModule {
  static forProcess(processName: 'api' | 'worker'): DynamicModule {
    return {
      module: MetricsModule,
      providers: [{ provide: AppMetrics, useValue: new AppMetrics(processName) }],
      exports: [AppMetrics],
    };
  }
}
