import type { StaffRole } from '@tongban/auth';

/** OAuth scopes a department system can be granted (client credentials). */
export const CLIENT_SCOPES = [
  'presentations:verify',
  'records:read',
  'records:write',
  'cases:read',
  'cases:write',
  'events:subscribe',
] as const;

/** What each staff role may do, as scopes in the staff member's access token. */
const ROLE_SCOPES: Record<StaffRole, readonly string[]> = {
  counter_clerk: ['residents:enrol', 'presentations:verify', 'cases:read', 'cases:write'],
  // An officer issues the record a case ends in (a licence, a registration) for their department.
  case_officer: ['cases:read', 'cases:decide', 'records:read', 'records:write'],
  department_admin: ['credentials:manage', 'staff:manage', 'clients:manage', 'cases:read'],
  auditor: ['access-log:read', 'cases:read'],
  system_admin: [
    'keys:manage',
    'departments:manage',
    'staff:manage',
    'clients:manage',
    'credentials:manage',
  ],
};

export function scopesForRoles(roles: readonly StaffRole[]): string {
  return [...new Set(roles.flatMap((r) => ROLE_SCOPES[r]))].sort().join(' ');
}
