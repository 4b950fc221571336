/**
 * Every scheme module hashd ships, in identification order: when two modules claim a string,
 * the earlier one is the first candidate (the policy still decides which candidates it accepts).
 */
import type { Scheme } from '../scheme';
import { argon2d, argon2i, argon2id } from './argon2';
import { bcrypt } from './bcrypt';
import { FRAMEWORK_SCHEMES } from './group-frameworks';
import { UNIX_SCHEMES } from './group-unix';
import { createWrappedScheme } from './wrapped';

const LEGACY: readonly Scheme[] = [argon2id, argon2i, argon2d, bcrypt, ...UNIX_SCHEMES, ...FRAMEWORK_SCHEMES];
const byName = new Map(LEGACY.map((s) => [s.name, s]));

export const BUILTIN_SCHEMES: readonly Scheme[] = [createWrappedScheme((name) => byName.get(name)), ...LEGACY];
