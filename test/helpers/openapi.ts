import { randomUUID } from 'node:crypto';
import Ajv from 'ajv-draft-04';

/* eslint-disable @typescript-eslint/no-explicit-any -- an OpenAPI document is JSON read back from the API */
export type JsonSchema = Record<string, any>;

export interface Operation {
  method: string;
  /** OpenAPI syntax: /api/v1/nodes/{id} */
  path: string;
  op: Record<string, any>;
}

export interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, Record<string, any>>>;
  components: { schemas: Record<string, JsonSchema> };
}

export function operationsOf(doc: OpenApiDoc): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method, path, op })));
}

export const parametersOf = (o: Operation, where: 'path' | 'query'): Array<{ name: string; required: boolean; schema: JsonSchema }> =>
  ((o.op.parameters ?? []) as Array<{ name: string; in: string; required: boolean; schema: JsonSchema }>).filter((p) => p.in === where);

/** A URL for the operation: a UUID for uuid parameters, `x` for the others, unless given. */
export function concretePath(o: Operation, values: Record<string, string> = {}): string {
  const path = parametersOf(o, 'path');
  return o.path.replace(/\{([^}]+)\}/g, (_, name: string) => values[name] ?? (path.find((p) => p.name === name)?.schema.format === 'uuid' ? randomUUID() : 'x'));
}

/** Schema objects of OpenAPI 3.0 are draft-04 plus `nullable`, which Ajv understands. */
export function responseValidator(doc: OpenApiDoc) {
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  const resolve = (schema: JsonSchema): JsonSchema => {
    const ref = typeof schema.$ref === 'string' ? /^#\/components\/schemas\/(.+)$/.exec(schema.$ref) : null;
    return ref ? doc.components.schemas[ref[1]!]! : schema;
  };
  /** Why `body` does not match what the document says `method path` answers with `status`; undefined when it does. */
  return (method: string, path: string, status: number, body: unknown): string | undefined => {
    const response = doc.paths[path]?.[method]?.responses?.[String(status)];
    if (!response) return `${method.toUpperCase()} ${path} answered ${status}, which the document does not list`;
    const schema = response.content?.['application/json']?.schema;
    if (!schema) return undefined;
    const validate = ajv.compile(resolve(schema));
    return validate(body) ? undefined : `${method.toUpperCase()} ${path} ${status}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body).slice(0, 400)}`;
  };
}
