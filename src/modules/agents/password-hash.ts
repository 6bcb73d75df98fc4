import { randomBytes, scrypt, ScryptOptions, timingSafeEqual } from 'node:crypto';

/**
 * One of OWASP's equivalent scrypt minimums: N=2^15, r=8, p=3 costs the time of N=2^17, p=1 with
 * a quarter of its memory (32 MiB instead of 128), which matters when several sign-ins run at
 * once in the thread pool. The parameters travel in each hash, so raising them later leaves
 * existing hashes readable.
 */
const DEFAULT_PARAMS = { log2N: 15, r: 8, p: 3 };
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Refuse stored parameters that would take more than 1 GiB or hang the thread pool. */
const MAX_LOG2N = 20;
const MAX_RP = 16;

export interface ScryptParams {
  log2N: number;
  r: number;
  p: number;
}

/** PHC string format: `$scrypt$ln=17,r=8,p=1$<salt base64>$<key base64>`. */
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function derive(password: string, salt: Buffer, params: ScryptParams, length: number) {
  const N = 2 ** params.log2N;
  const options: ScryptOptions = {
    N,
    r: params.r,
    p: params.p,
    // Node refuses anything over 32 MiB by default; scrypt needs 128 * N * r bytes.
    maxmem: 256 * N * params.r,
  };
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, length, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

export async function hashPassword(
  password: string,
  params: ScryptParams = DEFAULT_PARAMS,
): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params, KEY_BYTES);
  return `$scrypt$ln=${params.log2N},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

/** False for a wrong password and for a hash this code cannot read; never throws on either. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const match = PHC.exec(hash);
  if (!match) return false;
  const params = { log2N: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  if (params.log2N < 1 || params.log2N > MAX_LOG2N || params.r < 1 || params.p < 1) return false;
  if (params.r > MAX_RP || params.p > MAX_RP) return false;
  const expected = Buffer.from(match[5], 'base64');
  const key = await derive(password, Buffer.from(match[4], 'base64'), params, expected.length);
  return timingSafeEqual(key, expected);
}

/**
 * A hash no password matches in practice, verified when no agent has the email given, so that an
 * unknown email costs the same scrypt run as a wrong password and timing does not tell them apart.
 */
export const UNMATCHABLE_HASH = `$scrypt$ln=${DEFAULT_PARAMS.log2N},r=${DEFAULT_PARAMS.r},p=${DEFAULT_PARAMS.p}$${b64(
  Buffer.alloc(SALT_BYTES),
)}$${b64(Buffer.alloc(KEY_BYTES))}`;
