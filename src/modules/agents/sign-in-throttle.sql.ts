/**
 * Counts one sign-in attempt for an email ($1: its sha256) inside a fixed window of $2
 * milliseconds that starts at the first attempt, and answers the count so far and the seconds
 * left in the window. Counting before the password is checked makes parallel guesses count too.
 * Each call also drops up to 10 ended windows, so the table holds about the last window's
 * emails, even under a spray of made-up ones.
 */
export const COUNT_SIGN_IN_ATTEMPT = `
  WITH expired AS (
    DELETE FROM sign_in_failures
     WHERE email_digest IN (
       SELECT email_digest FROM sign_in_failures
        WHERE window_started_at <= now() - $2::int * interval '1 millisecond'
          AND email_digest <> $1
        LIMIT 10)
  )
  INSERT INTO sign_in_failures AS counted (email_digest, failures, window_started_at)
  VALUES ($1, 1, now())
  ON CONFLICT (email_digest) DO UPDATE SET
    failures = CASE WHEN counted.window_started_at > now() - $2::int * interval '1 millisecond'
                    THEN counted.failures + 1 ELSE 1 END,
    window_started_at = CASE WHEN counted.window_started_at > now() - $2::int * interval '1 millisecond'
                             THEN counted.window_started_at ELSE now() END
  RETURNING failures,
            ceil(extract(epoch FROM window_started_at + $2::int * interval '1 millisecond' - now()))::int
              AS seconds_left`;

/** A successful sign-in starts the count afresh. */
export const FORGET_SIGN_IN_ATTEMPTS = `DELETE FROM sign_in_failures WHERE email_digest = $1`;
