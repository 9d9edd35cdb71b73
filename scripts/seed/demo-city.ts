// The demo city: data only. scripts/seed/seed.ts loads it through the same public API that
// departments and counters use, so the seed exercises the real code paths and nothing else.

export const departments = [
  {
    code: 'public_security',
    name: { zh: '公安局（户籍）', en: 'Public Security (Household Registration)' },
  },
  {
    code: 'market_regulation',
    name: { zh: '市场监督管理局', en: 'Market Regulation Administration' },
  },
  { code: 'fire_safety', name: { zh: '消防救援支队', en: 'Fire and Rescue Detachment' } },
  { code: 'health', name: { zh: '卫生健康委员会', en: 'Health Commission' } },
  { code: 'civil_affairs', name: { zh: '民政局', en: 'Civil Affairs Bureau' } },
  {
    code: 'social_security',
    name: { zh: '人力资源和社会保障局', en: 'Human Resources and Social Security Bureau' },
  },
] as const;

/** Each department gets a counter clerk, a case officer and a department administrator. */
export const staffRoles = [
  {
    suffix: 'clerk',
    displayName: { zh: '窗口受理员', en: 'Counter clerk' },
    roles: ['counter_clerk'],
  },
  { suffix: 'officer', displayName: { zh: '审批员', en: 'Case officer' }, roles: ['case_officer'] },
  {
    suffix: 'admin',
    displayName: { zh: '部门管理员', en: 'Department administrator' },
    roles: ['department_admin'],
  },
] as const;

/** Which resident attributes each department's verifiers see after a scan (default: name, birth date, masked ID). */
export const attributePolicies = [
  {
    department: 'public_security',
    attributes: ['fullName', 'birthDate', 'idDocumentType', 'idNumberMasked', 'phone'],
  },
  {
    department: 'social_security',
    attributes: ['fullName', 'birthDate', 'idNumberMasked', 'phone'],
  },
] as const;

/** Department systems calling the APIs with client credentials. */
export const clients = [
  {
    clientId: 'health-birth-registry',
    name: 'Hospital birth registry',
    department: 'health',
    scopes: ['records:write', 'presentations:verify'],
  },
  {
    clientId: 'market-licensing',
    name: 'Business licensing system',
    department: 'market_regulation',
    scopes: ['records:write', 'records:read', 'presentations:verify'],
  },
] as const;

/**
 * Fictional residents. The numbers use the GB 11643 check digit so enrolment accepts them; the
 * region code 110101 is real, the people are not.
 */
export const residents = [
  { fullName: '张伟', birthDate: '1988-04-12', phone: '13800000001', idBody: '11010119880412301' },
  { fullName: '李娜', birthDate: '1991-09-23', phone: '13800000002', idBody: '11010119910923402' },
  { fullName: '王芳', birthDate: '1979-01-30', phone: '13800000003', idBody: '11010119790130203' },
  { fullName: '陈杰', birthDate: '2001-06-05', phone: '13800000004', idBody: '11010120010605105' },
] as const;
