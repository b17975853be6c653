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
  description:
    'Only poll jobs of nodes in scope. An on-demand poll stays readable for 24 hours after it finishes; ' +
    '`unknown` means the job is gone from the queue without its end having been recorded.',
  auth: ALL_ROLES,
  params: jobParams,
  responses: { 200: { description: 'The job', schema: dataOf(jobSchema) } },
  errors: { 404: 'JOB_NOT_FOUND' },
};

type JobView = Omit<z.infer<typeof jobSchema>, 'nodeId' | 'nodeChannelId'> & { nodeChannelId?: string };

const isoOrNull = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : null);

async function liveJob(core: Core, id: string): Promise<JobView | undefined> {
  const job = await core.queues.poll.getJob(id);
  if (!job) return undefined;
  return {
    id: job.id,
    name: job.name,
    queue: 'poll',
    nodeChannelId: (job.data as { nodeChannelId?: string } | undefined)?.nodeChannelId,
    state: await job.getState(),
    attemptsMade: job.attemptsMade,
    maxAttempts: job.opts.attempts ?? 1,
    failedReason: job.failedReason ?? null,
    result: job.returnvalue ?? null,
    createdAt: new Date(job.timestamp).toISOString(),
    processedAt: isoOrNull(job.processedOn),
    finishedAt: isoOrNull(job.finishedOn),
  };
}

/** BullMQ trims finished jobs by count within seconds at fleet scale; watched on-demand polls leave a record. */
async function recordedJob(core: Core, id: string): Promise<JobView | undefined> {
  const record = await core.pollJobRecords.get(id);
  if (!record) return undefined;
  // With the job gone, a record not final missed the job's end (a stalled job failed by BullMQ, a
  // job removed by hand): say so, as BullMQ does for a job it does not know, rather than "waiting".
  const state = record.state === 'completed' || record.state === 'failed' ? record.state : 'unknown';
  return {
    id,
    name: record.name,
    queue: 'poll',
    nodeChannelId: record.nodeChannelId,
    state,
    attemptsMade: record.attemptsMade,
    maxAttempts: record.maxAttempts,
    failedReason: record.failedReason,
    result: record.result,
    createdAt: new Date(record.createdAt).toISOString(),
    processedAt: isoOrNull(record.processedAt),
    finishedAt: isoOrNull(record.finishedAt),
  };
}

/** Status of an on-demand poll. Only poll jobs are visible, and only for nodes in the key's scope. */
export function jobsRoutes(core: Core): Router {
  const router = Router();
  router.get('/jobs/:id', apiDoc(getDoc), async (req, res) => {
    const { id } = parse(jobParams, req.params, 'path');
    const auth = authOf(req);
    const job = (await liveJob(core, id)) ?? (await recordedJob(core, id));
    const nodeId = job?.nodeChannelId ? await core.repos.nodes.nodeIdOfChannel(auth.scope, job.nodeChannelId) : undefined;
    if (!job || !nodeId) throw new NotFoundError(`Job ${id} was not found (finished on-demand polls are kept for 24 hours)`, 'JOB_NOT_FOUND');
    res.json({ data: { ...job, nodeId } });
  });
  return router;
}
