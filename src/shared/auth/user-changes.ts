/**
 * The Redis channel on which the id of a user deleted, disabled or re-scoped is announced to every
 * API process, so each closes that user's live sockets at once (REST needs no announcement: a
 * user is read from the database on every request).
 */
export function userChangesChannel(prefix: string): string {
  return `${prefix}:users:changed`;
}
