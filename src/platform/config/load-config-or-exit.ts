import { AppConfig, ConfigError, loadConfig } from './app-config';

/** Entry points: a bad variable stops the process with one line per problem, no stack trace. */
export function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`config error: ${problem}\n`);
    process.exit(78); // EX_CONFIG
  }
}
