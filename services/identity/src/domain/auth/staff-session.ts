import type { StaffRole } from '@tongban/auth';
import type { staff } from '../../db/schema.js';
import type { IdentityContext } from '../context.js';
import { scopesForRoles } from '../scopes.js';
import { issueAccessToken } from './issue-access-token.js';

/**
 * The answer to a successful staff sign-in, whatever proved who they are (password or passkey):
 * one access token shape, so the portal handles both the same way.
 */
export async function staffSession(
  ctx: Pick<IdentityContext, 'clock' | 'keys' | 'config'>,
  account: typeof staff.$inferSelect,
) {
  const roles = account.roles as StaffRole[];
  const token = await issueAccessToken(ctx, {
    kind: 'staff',
    sub: account.id,
    client_id: 'tongban-portal',
    department: account.departmentCode,
    roles,
    scope: scopesForRoles(roles),
  });
  return {
    ...token,
    staff: {
      id: account.id,
      username: account.username,
      displayName: account.displayName,
      department: account.departmentCode,
      roles,
    },
  };
}
