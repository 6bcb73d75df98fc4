import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DomainError } from '../../platform/errors/domain-error';
import { COUNT_SIGN_IN_ATTEMPT, FORGET_SIGN_IN_ATTEMPTS } from './sign-in-throttle.sql';

export const MAX_FAILED_SIGN_INS = 10;
export const SIGN_IN_WINDOW_MS = 15 * 60_000;

/**
 * At most MAX_FAILED_SIGN_INS failed sign-ins per email per window, counted in Postgres so that
 * every API process shares the count (sign-in needs Postgres anyway; a Redis outage or flush
 * neither locks agents out nor lifts the limit). Emails are kept only as digests.
 */
@Injectable()
export class SignInThrottle {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Counts an attempt; throws too_many_requests when the email already failed too often. */
  async admit(email: string): Promise<void> {
    const [row] = await this.dataSource.query(COUNT_SIGN_IN_ATTEMPT, [
      digest(email),
      SIGN_IN_WINDOW_MS,
    ]);
    if (row.failures > MAX_FAILED_SIGN_INS) {
      const seconds = Math.max(1, Number(row.seconds_left));
      throw DomainError.tooManyRequests(
        `too many failed sign-ins for this email; try again in ${Math.ceil(seconds / 60)} min`,
        seconds,
      );
    }
  }

  async forget(email: string): Promise<void> {
    await this.dataSource.query(FORGET_SIGN_IN_ATTEMPTS, [digest(email)]);
  }
}

const digest = (email: string) => createHash('sha256').update(email).digest();
