// Password hashing for the built-in directory (scrypt; the hash string carries its own salt).
import {randomBytes, scrypt, timingSafeEqual} from 'node:crypto';

const KEYLEN = 32;

function scryptAsync(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEYLEN, {N: 16384, r: 8, p: 1}, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt);
  return `scrypt$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const [scheme, saltB64, keyB64] = hash.split('$');
  if (scheme !== 'scrypt' || !saltB64 || !keyB64) return false;
  const expected = Buffer.from(keyB64, 'base64');
  const actual = await scryptAsync(password, Buffer.from(saltB64, 'base64'));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const NOBODY_SALT = randomBytes(16);

/** Costs what verifyPassword costs and fails: an unknown login name must not answer faster than a known one. */
export async function verifyNobodysPassword(password: string): Promise<false> {
  await scryptAsync(password, NOBODY_SALT);
  return false;
}
