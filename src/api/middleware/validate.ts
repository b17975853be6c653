import type { z } from 'zod';
import { ValidationError } from '../../shared/errors';

/** Parses `value` with `schema`, or throws a ValidationError that names every bad field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'path'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => ({ field: [where, ...i.path.map(String)].join('.'), message: i.message }));
  throw new ValidationError(`Invalid ${where}: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems);
}
