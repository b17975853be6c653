import { z } from 'zod';
import type { Logger } from '../logger';
import { constraintViolation } from '../db/db-errors';
import type { UserRecord, UsersRepository } from './users.repository';
import { UserDisabledError, UserNotProvisionedError } from './user-token-errors';
import type { UserTokenVerifier, VerifiedUserToken } from './user-tokens';

/**
 * What app_metadata may say about a user when AUTH_TRUST_APP_METADATA is on:
 * `{"evara": {"role": "customer", "communityId": "<uuid>"}}` or `{"evara": {"role": "distributor", "distributorId": "<uuid>"}}`.
 * Never superadmin: who runs everything is decided in this API (POST /users), not in Supabase.
 */
const appMetadataGrant = z.object({
  evara: z.discriminatedUnion('role', [
    z.object({ role: z.literal('customer'), communityId: z.string().uuid() }),
    z.object({ role: z.literal('distributor'), distributorId: z.string().uuid() }),
  ]),
});

export interface SignedInUser {
  user: UserRecord;
  /** The token's email when it has one (audit entries name it), else the one stored here. */
  email: string | null;
  /** When the token stops being valid (seconds since the epoch). */
  exp: number;
}

async function provisionFromAppMetadata(users: Pick<UsersRepository, 'create' | 'findById'>, token: VerifiedUserToken, log: Logger): Promise<UserRecord | undefined> {
  const grant = appMetadataGrant.safeParse(token.appMetadata);
  if (!grant.success) return undefined;
  const g = grant.data.evara;
  try {
    const created = await users.create(
      {
        id: token.sub,
        email: token.email,
        label: null,
        role: g.role,
        distributorId: g.role === 'distributor' ? g.distributorId : null,
        communityId: g.role === 'customer' ? g.communityId : null,
      },
      'app_metadata',
    );
    if (created === 'exists') return users.findById(token.sub);
    log.info({ userId: created.id, role: created.role, via: 'app_metadata' }, 'user provisioned on first sign-in');
    return created;
  } catch (err) {
    // app_metadata naming a community or distributor that does not exist: nothing to provision.
    if (constraintViolation(err)) return undefined;
    throw err;
  }
}

/**
 * The user a valid access token signs in: looked up by the token's `sub` on every request (so a
 * deleted or disabled user is refused at once), or provisioned from app_metadata when the
 * operator trusts it. Throws the token's 401, 403 USER_NOT_PROVISIONED or 403 USER_DISABLED.
 */
export function createUserSignIn(deps: { verifier: UserTokenVerifier; users: Pick<UsersRepository, 'create' | 'findById'>; trustAppMetadata: boolean; log: Logger }) {
  return async (token: string): Promise<SignedInUser> => {
    const claims = await deps.verifier.verify(token);
    let user = await deps.users.findById(claims.sub);
    if (!user && deps.trustAppMetadata) user = await provisionFromAppMetadata(deps.users, claims, deps.log);
    if (!user) throw new UserNotProvisionedError();
    if (user.disabledAt) throw new UserDisabledError();
    return { user, email: claims.email ?? user.email, exp: claims.exp };
  };
}

export type UserSignIn = ReturnType<typeof createUserSignIn>;
