/**
 * Every scheme module hashd ships, in identification order: when two modules claim a string,
 * the earlier one is the first candidate (the policy still decides which candidates it accepts).
 */
import type { Scheme } from '../scheme';
import { argon2d, argon2i, argon2id } from './argon2';
import { bcrypt } from './bcrypt';

export const BUILTIN_SCHEMES: readonly Scheme[] = [argon2id, argon2i, argon2d, bcrypt];
