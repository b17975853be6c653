import { Router } from 'express';
import { z } from 'zod';
import type { Core } from '../../shared/core';
import { NotFoundError } from '../../shared/errors';
import { authOf } from '../middleware/auth';
import { parse } from '../middleware/validate';
import { dataOf } from '../openapi/envelopes';
import { jobSchema } from '../openapi/resource-schemas';
import { ALL_ROLES, apiDoc, type RouteDoc } from '../openapi/route-doc';

const jobParams = z.object({ id: z.string().regex(/^[A-Za-z0-9:_-]{1,200}$/, 'is not a job id') });

const getDoc: RouteDoc = {
  summary: 'State of an on-demand poll job',
  description: 'Only poll jobs of nodes in scope; finished jobs are kept for 24 hours.',
  auth: ALL_ROLES,
  params: jobParams,
  responses: { 200: { description: 'The job', schema: dataOf(jobSchema) } },
  errors: { 404: 'JOB_NOT_FOUND' },
};

/** Status of an on-demand poll. Only poll jobs are visible, and only for nodes in the key's scope. */
export function jobsRoutes(core: Core): Router {
  const router = Router();
  router.get('/jobs/:id', apiDoc(getDoc), async (req, res) => {
    const { id } = parse(jobParams, req.params, 'path');
    const auth = authOf(req);
    const job = await core.queues.poll.getJob(id);
    const data = job?.data as { nodeChannelId?: string } | undefined;
    const nodeId = data?.nodeChannelId ? await core.repos.nodes.nodeIdOfChannel(auth.scope, data.nodeChannelId) : undefined;
    if (!job || !nodeId) throw new NotFoundError(`Job ${id} was not found (finished jobs are kept for 24 hours)`, 'JOB_NOT_FOUND');
    const state = await job.getState();
    res.json({
      data: {
        id: job.id,
        name: job.name,
        queue: 'poll',
        nodeId,
        nodeChannelId: data?.nodeChannelId,
        state,
        attemptsMade: job.attemptsMade,
        maxAttempts: job.opts.attempts ?? 1,
        failedReason: job.failedReason ?? null,
        result: job.returnvalue ?? null,
        createdAt: new Date(job.timestamp).toISOString(),
        processedAt: job.processedOn ? new Date(job.processedOn).toISOString() : null,
        finishedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
      },
    });
  });
  return router;
}
