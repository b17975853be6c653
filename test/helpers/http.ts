import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/api/app';
import type { Core } from '../../src/shared/core';
import type { Scope } from '../../src/shared/auth/scope';

export interface ApiClient {
  app: Express;
  get(path: string, key?: string): request.Test;
  post(path: string, body?: unknown, key?: string): request.Test;
  patch(path: string, body?: unknown, key?: string): request.Test;
  del(path: string, key?: string): request.Test;
}

/** supertest over createApp(core), with the bearer key as a default. */
export function apiClient(core: Core, defaultKey?: string): ApiClient {
  const app = createApp(core);
  const auth = (t: request.Test, key?: string) => {
    const k = key ?? defaultKey;
    return k ? t.set('Authorization', `Bearer ${k}`) : t;
  };
  return {
    app,
    get: (path, key) => auth(request(app).get(path), key),
    post: (path, body, key) => auth(request(app).post(path), key).send(body as object),
    patch: (path, body, key) => auth(request(app).patch(path), key).send(body as object),
    del: (path, key) => auth(request(app).delete(path), key),
  };
}

/** Issues a real API key for a scope. */
export async function issueKey(core: Core, scope: Scope, label = 'test'): Promise<string> {
  const { key } = await core.repos.apiKeys.create({
    label,
    role: scope.role,
    distributorId: scope.role === 'distributor' ? scope.distributorId : null,
    communityId: scope.role === 'customer' ? scope.communityId : null,
  });
  return key;
}
