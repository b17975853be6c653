import type { Request, Response } from 'express';
import type { Core } from '../../shared/core';
import { recordAudit } from '../../shared/audit/audit-log.repository';
import { QUEUE_NAMES } from '../../shared/queues/queue-names';
import { actorOf, type AuthContext } from '../middleware/auth';

/** The queue a Bull Board API path acts on ("/api/queues/poll/pause" -> poll), or "all" (pause all, resume all). */
function queueOf(path: string): string {
  const segment = /^\/api\/queues\/([^/]+)/.exec(path)?.[1];
  return segment !== undefined && (QUEUE_NAMES as readonly string[]).includes(segment) ? segment : 'all';
}

/**
 * Records a Bull Board change (pause, resume, retry, clean, remove a job...) once it answered 2xx,
 * as `queue.change` on the queue, system-wide (superadmins only). After the fact, not in one
 * transaction with it: the change is in Redis. A failed write (the database is down, when only
 * ADMIN_API_KEY gets in) is logged and never fails the request.
 */
export function auditQueueChange(core: Pick<Core, 'db'>, auth: AuthContext, req: Request, res: Response): void {
  const path = req.path;
  const method = req.method;
  res.on('finish', () => {
    if (res.statusCode >= 300) return;
    recordAudit(core.db, { actor: actorOf(auth), action: 'queue.change', resourceType: 'queue', resourceId: queueOf(path), communityId: null, details: { method, path } }).catch(
      (err: unknown) => req.log.warn({ err, method, path }, 'bull board action not audited'),
    );
  });
}
