import { ConsoleLogger, LogLevel } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
const NEST_LEVEL: Record<string, LogLevel> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  info: 'log',
  debug: 'debug',
  trace: 'verbose',
};

/** One JSON object per line, for log shippers; never given message bodies or full numbers. */
export function createLogger(config: Pick<AppConfig, 'logLevel'>, name: string): ConsoleLogger {
  const upTo = config.logLevel === 'silent' ? -1 : LEVELS.indexOf(NEST_LEVEL[config.logLevel]);
  return new ConsoleLogger(name, {
    json: true,
    colors: false,
    logLevels: upTo < 0 ? [] : LEVELS.slice(0, upTo + 1),
  });
}
