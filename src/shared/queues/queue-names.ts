/** Queue names are part of the public contract (Bull Board, WORKER_QUEUES, operators' scripts). */
export const QUEUE_NAMES = ['poll-control', 'poll', 'alerts', 'notifications', 'maintenance'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];
