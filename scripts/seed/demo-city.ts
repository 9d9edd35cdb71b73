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

type Classification = 'basic' | 'personal' | 'sensitive';

/** A kind of certified record, declared by its issuing department's administrator. */
export interface DemoRecordType {
  readonly code: string;
  readonly issuerDepartment: (typeof departments)[number]['code'];
  readonly name: { readonly zh: string; readonly en: string };
  readonly fieldSchema: Record<string, unknown>;
  readonly classification: Readonly<Record<string, Classification>>;
}

const text = (maxLength: number, description: string) => ({
  type: 'string',
  minLength: 1,
  maxLength,
  description,
});
const date = (description: string) => ({ type: 'string', format: 'date', description });
const party = {
  type: 'object',
  properties: {
    name: text(50, 'Full name as on the ID card'),
    subjectId: { type: 'string', pattern: '^[A-Za-z0-9_-]{16}$', description: 'Pseudonymous id' },
  },
  required: ['name'],
  additionalProperties: false,
};

/**
 * The record types of the demo city, each issued by the department that issues it in real life.
 * Field names are the API's (camelCase); classification says how carefully each is released.
 */
export const recordTypes: readonly DemoRecordType[] = [
  {
    code: 'birth_record',
    issuerDepartment: 'health',
    name: { zh: '出生医学证明', en: 'Birth medical certificate' },
    fieldSchema: {
      type: 'object',
      properties: {
        certificateNumber: { type: 'string', pattern: '^[A-Z][0-9]{9}$' },
        childName: text(50, "The child's name"),
        sex: { enum: ['female', 'male'] },
        birthDate: date('Date of birth'),
        birthPlace: text(200, 'Hospital or place of birth'),
        birthWeightGrams: { type: 'integer', minimum: 300, maximum: 8000 },
        mother: party,
        father: party,
      },
      required: ['certificateNumber', 'childName', 'sex', 'birthDate', 'birthPlace', 'mother'],
      additionalProperties: false,
    },
    classification: {
      certificateNumber: 'basic',
      childName: 'personal',
      sex: 'personal',
      birthDate: 'personal',
      birthPlace: 'personal',
      birthWeightGrams: 'sensitive',
      mother: 'personal',
      father: 'personal',
    },
  },
  {
    code: 'household_registration',
    issuerDepartment: 'public_security',
    name: { zh: '户口登记', en: 'Household registration' },
    fieldSchema: {
      type: 'object',
      properties: {
        householdNumber: { type: 'string', pattern: '^[0-9]{9}$' },
        householdType: { enum: ['family', 'collective'] },
        relationshipToHead: { enum: ['head', 'spouse', 'child', 'parent', 'other'] },
        address: text(200, 'Registered residence'),
        registeredOn: date('Registered at this address since'),
        previousAddress: text(200, 'Where the registration moved from'),
      },
      required: [
        'householdNumber',
        'householdType',
        'relationshipToHead',
        'address',
        'registeredOn',
      ],
      additionalProperties: false,
    },
    classification: {
      householdNumber: 'personal',
      householdType: 'basic',
      relationshipToHead: 'personal',
      address: 'personal',
      registeredOn: 'basic',
      previousAddress: 'personal',
    },
  },
  {
    code: 'business_licence',
    issuerDepartment: 'market_regulation',
    name: { zh: '营业执照', en: 'Business licence' },
    fieldSchema: {
      type: 'object',
      properties: {
        unifiedSocialCreditCode: { type: 'string', pattern: '^[0-9A-HJ-NPQRTUWXY]{18}$' },
        enterpriseName: text(100, 'Registered name'),
        enterpriseType: { enum: ['individual_business', 'limited_company', 'sole_proprietorship'] },
        legalRepresentative: text(50, 'Operator or legal representative'),
        registeredCapitalYuan: { type: 'integer', minimum: 0 },
        businessScope: text(500, 'What the business may do'),
        address: text(200, 'Business address'),
        establishedOn: date('Date of establishment'),
      },
      required: [
        'unifiedSocialCreditCode',
        'enterpriseName',
        'enterpriseType',
        'legalRepresentative',
        'businessScope',
        'address',
        'establishedOn',
      ],
      additionalProperties: false,
    },
    classification: {
      unifiedSocialCreditCode: 'basic',
      enterpriseName: 'basic',
      enterpriseType: 'basic',
      legalRepresentative: 'basic',
      registeredCapitalYuan: 'basic',
      businessScope: 'basic',
      address: 'basic',
      establishedOn: 'basic',
    },
  },
  {
    code: 'fire_safety_inspection',
    issuerDepartment: 'fire_safety',
    name: { zh: '公众聚集场所投入使用、营业前消防安全检查意见书', en: 'Fire-safety inspection' },
    fieldSchema: {
      type: 'object',
      properties: {
        documentNumber: text(40, 'Inspection document number'),
        premisesName: text(100, 'Name of the premises'),
        address: text(200, 'Address of the premises'),
        floorAreaSqm: { type: 'number', exclusiveMinimum: 0 },
        occupancy: { type: 'integer', minimum: 1, description: 'Permitted number of people' },
        inspectedOn: date('Date of the on-site inspection'),
        result: { enum: ['passed', 'failed'] },
        findings: { type: 'array', items: text(200, 'A finding'), maxItems: 20 },
      },
      required: ['documentNumber', 'premisesName', 'address', 'inspectedOn', 'result'],
      additionalProperties: false,
    },
    classification: {
      documentNumber: 'basic',
      premisesName: 'basic',
      address: 'basic',
      floorAreaSqm: 'basic',
      occupancy: 'basic',
      inspectedOn: 'basic',
      result: 'basic',
      findings: 'basic',
    },
  },
  {
    code: 'food_business_permit',
    issuerDepartment: 'market_regulation',
    name: { zh: '食品经营许可证', en: 'Food business permit' },
    fieldSchema: {
      type: 'object',
      properties: {
        permitNumber: { type: 'string', pattern: '^JY[0-9]{14}$' },
        operatorName: text(100, 'Operator'),
        legalRepresentative: text(50, 'Legal representative or person in charge'),
        premises: text(200, 'Business premises'),
        businessFormat: { enum: ['catering', 'food_retail', 'canteen'] },
        businessItems: { type: 'array', items: text(100, 'An item'), minItems: 1, maxItems: 20 },
        validFrom: date('Valid from'),
        validUntil: date('Valid until'),
      },
      required: [
        'permitNumber',
        'operatorName',
        'premises',
        'businessFormat',
        'businessItems',
        'validFrom',
        'validUntil',
      ],
      additionalProperties: false,
    },
    classification: {
      permitNumber: 'basic',
      operatorName: 'basic',
      legalRepresentative: 'basic',
      premises: 'basic',
      businessFormat: 'basic',
      businessItems: 'basic',
      validFrom: 'basic',
      validUntil: 'basic',
    },
  },
  {
    code: 'marriage_record',
    issuerDepartment: 'civil_affairs',
    name: { zh: '结婚登记', en: 'Marriage record' },
    fieldSchema: {
      type: 'object',
      properties: {
        certificateNumber: { type: 'string', pattern: '^J[0-9]{6}-[0-9]{4}-[0-9]{6}$' },
        registeredOn: date('Date of registration'),
        registryOffice: text(100, 'Marriage registry office'),
        spouse: party,
      },
      required: ['certificateNumber', 'registeredOn', 'registryOffice', 'spouse'],
      additionalProperties: false,
    },
    classification: {
      certificateNumber: 'personal',
      registeredOn: 'personal',
      registryOffice: 'basic',
      spouse: 'sensitive',
    },
  },
  {
    code: 'social_security_enrolment',
    issuerDepartment: 'social_security',
    name: { zh: '社会保险参保登记', en: 'Social-security enrolment' },
    fieldSchema: {
      type: 'object',
      properties: {
        insurances: {
          type: 'array',
          items: { enum: ['pension', 'medical', 'unemployment', 'work_injury', 'maternity'] },
          minItems: 1,
          uniqueItems: true,
        },
        insuredAs: { enum: ['employee', 'flexible_employment', 'urban_rural_resident'] },
        employer: text(100, 'Employer paying contributions, if any'),
        enrolledOn: date('Date of enrolment'),
        socialSecurityCard: { enum: ['issued', 'applied', 'none'] },
      },
      required: ['insurances', 'insuredAs', 'enrolledOn', 'socialSecurityCard'],
      additionalProperties: false,
    },
    classification: {
      insurances: 'personal',
      insuredAs: 'personal',
      employer: 'personal',
      enrolledOn: 'basic',
      socialSecurityCard: 'basic',
    },
  },
];

/**
 * The government service centre (政务服务中心), the one-stop counter where cases are opened.
 * Identity makes it at start together with workflow's client (WORKFLOW_CLIENT_SECRET), so the
 * seed does not: its access policies below are what that client may read.
 */
export const SERVICE_CENTRE = 'service_centre';

type DepartmentCode = (typeof departments)[number]['code'] | typeof SERVICE_CENTRE;

/**
 * Who may read what of another department's records, and why (ADR 0013), each made by an
 * administrator of the department that issues the type. Purpose `case` covers reads for a
 * workflow case (`case:<caseId>`, with the case grant workflow issues); any other purpose is a
 * standing procedure of the reader's. Fields are what that procedure needs, not the whole record:
 * nobody outside health sees a birth weight, and a department checking where someone is
 * registered does not learn who heads their household.
 */
export interface DemoAccessPolicy {
  readonly recordType: string;
  readonly readerDepartment: DepartmentCode;
  readonly purpose: string;
  readonly fields: readonly string[];
  readonly consentRequired: boolean;
}

export const accessPolicies: readonly DemoAccessPolicy[] = [
  // Newborn registration (出生一件事): the police register the child in a household from the
  // birth certificate, parents included, so the family brings no paper.
  {
    recordType: 'birth_record',
    readerDepartment: 'public_security',
    purpose: 'case',
    fields: [
      'certificateNumber',
      'childName',
      'sex',
      'birthDate',
      'birthPlace',
      'mother',
      'father',
    ],
    consentRequired: false,
  },
  // … then social security enrols the child in resident medical insurance and makes the card.
  {
    recordType: 'birth_record',
    readerDepartment: 'social_security',
    purpose: 'case',
    fields: ['certificateNumber', 'childName', 'sex', 'birthDate'],
    consentRequired: false,
  },
  {
    recordType: 'household_registration',
    readerDepartment: 'social_security',
    purpose: 'case',
    fields: ['householdNumber', 'householdType', 'address'],
    consentRequired: false,
  },
  // Enrolment at the counter: resident insurance is where one's household is registered.
  {
    recordType: 'household_registration',
    readerDepartment: 'social_security',
    purpose: 'social_security_enrolment',
    fields: ['householdType', 'address', 'registeredOn'],
    consentRequired: false,
  },
  // Marriage registration: the registry office checks where each party is registered; only
  // with the resident's consent, given when they book the appointment.
  {
    recordType: 'household_registration',
    readerDepartment: 'civil_affairs',
    purpose: 'marriage_registration',
    fields: ['householdType', 'address', 'registeredOn'],
    consentRequired: true,
  },
  // Opening a restaurant (business licence ∥ fire safety ∥ food permit): fire safety inspects
  // the premises of the licensed business …
  {
    recordType: 'business_licence',
    readerDepartment: 'fire_safety',
    purpose: 'case',
    fields: [
      'unifiedSocialCreditCode',
      'enterpriseName',
      'legalRepresentative',
      'businessScope',
      'address',
    ],
    consentRequired: false,
  },
  // … and market regulation, which issues the licence and the food permit itself, grants the
  // permit once the premises passed that inspection.
  {
    recordType: 'fire_safety_inspection',
    readerDepartment: 'market_regulation',
    purpose: 'case',
    fields: ['documentNumber', 'premisesName', 'address', 'inspectedOn', 'result'],
    consentRequired: false,
  },
  // Marriage registration as a case: the registry office sees where each party is registered.
  // The resident applied for the case, so no separate consent is asked (unlike the standing
  // marriage_registration purpose above, used outside a case).
  {
    recordType: 'household_registration',
    readerDepartment: 'civil_affairs',
    purpose: 'case',
    fields: ['householdType', 'address', 'registeredOn'],
    consentRequired: false,
  },
  // Workflow, as the service centre, pulls every record a catalogue service lists when a case
  // is opened, to reference it (id, version, digest) rather than copy it: it needs to know the
  // record exists, not what it says, so each policy releases one identifying number and nothing
  // else. The departments working the case read the content under their own policies.
  ...(
    [
      ['birth_record', 'certificateNumber'],
      ['household_registration', 'householdNumber'],
      ['marriage_record', 'certificateNumber'],
      ['business_licence', 'unifiedSocialCreditCode'],
      ['fire_safety_inspection', 'documentNumber'],
      ['food_business_permit', 'permitNumber'],
    ] as const
  ).map(
    ([recordType, field]): DemoAccessPolicy => ({
      recordType,
      readerDepartment: SERVICE_CENTRE,
      purpose: 'case',
      fields: [field],
      consentRequired: false,
    }),
  ),
];

type ResidentName = (typeof residents)[number]['fullName'];

/**
 * Records of the demo residents, published by each type's issuing department. `key` names the
 * record in the seed's messages; `amend` publishes a second version right after the first,
 * `revoke` revokes it: so history and revoked records have something to show.
 */
export interface DemoRecord {
  readonly key: string;
  readonly type: string;
  readonly resident: ResidentName;
  readonly data: Record<string, unknown>;
  readonly amend?: Record<string, unknown>;
  readonly revoke?: string;
}

export const records: readonly DemoRecord[] = [
  {
    key: 'hukou-zhang-wei',
    type: 'household_registration',
    resident: '张伟',
    data: {
      householdNumber: '110101001',
      householdType: 'family',
      relationshipToHead: 'head',
      address: '北京市东城区东华门街道南池子大街18号',
      registeredOn: '2012-07-02',
    },
  },
  {
    key: 'hukou-li-na',
    type: 'household_registration',
    resident: '李娜',
    data: {
      householdNumber: '110101001',
      householdType: 'family',
      relationshipToHead: 'spouse',
      address: '北京市东城区东华门街道南池子大街18号',
      registeredOn: '2016-05-20',
      previousAddress: '河北省保定市莲池区五四路36号',
    },
  },
  {
    key: 'hukou-wang-fang',
    type: 'household_registration',
    resident: '王芳',
    data: {
      householdNumber: '110101217',
      householdType: 'family',
      relationshipToHead: 'head',
      address: '北京市东城区景山街道黄化门街9号',
      registeredOn: '2003-11-14',
    },
  },
  {
    key: 'hukou-chen-jie',
    type: 'household_registration',
    resident: '陈杰',
    data: {
      householdNumber: '110101388',
      householdType: 'family',
      relationshipToHead: 'child',
      address: '北京市东城区和平里街道和平里东街11号',
      registeredOn: '2001-06-30',
    },
    // Moved out of his parents' household into a collective one (university dormitory).
    amend: {
      householdNumber: '110101902',
      householdType: 'collective',
      relationshipToHead: 'other',
      address: '北京市海淀区学院路37号集体户',
      registeredOn: '2019-09-01',
      previousAddress: '北京市东城区和平里街道和平里东街11号',
    },
  },
  {
    key: 'birth-chen-jie',
    type: 'birth_record',
    resident: '陈杰',
    data: {
      certificateNumber: 'A010234567',
      childName: '陈杰',
      sex: 'male',
      birthDate: '2001-06-05',
      birthPlace: '北京协和医院',
      birthWeightGrams: 3420,
      mother: { name: '刘敏' },
      father: { name: '陈建国' },
    },
  },
  {
    key: 'marriage-zhang-wei',
    type: 'marriage_record',
    resident: '张伟',
    data: {
      certificateNumber: 'J110101-2016-000318',
      registeredOn: '2016-05-20',
      registryOffice: '北京市东城区民政局婚姻登记处',
      spouse: { name: '李娜' },
    },
  },
  {
    key: 'marriage-li-na',
    type: 'marriage_record',
    resident: '李娜',
    data: {
      certificateNumber: 'J110101-2016-000318',
      registeredOn: '2016-05-20',
      registryOffice: '北京市东城区民政局婚姻登记处',
      spouse: { name: '张伟' },
    },
  },
  {
    key: 'licence-zhang-wei-noodles',
    type: 'business_licence',
    resident: '张伟',
    data: {
      unifiedSocialCreditCode: '92110101MA01ABCD3X',
      enterpriseName: '北京市东城区张记面馆',
      enterpriseType: 'individual_business',
      legalRepresentative: '张伟',
      businessScope: '餐饮服务；食品销售（仅销售预包装食品）',
      address: '北京市东城区东华门大街22号',
      establishedOn: '2024-03-18',
    },
  },
  {
    key: 'fire-zhang-wei-noodles',
    type: 'fire_safety_inspection',
    resident: '张伟',
    data: {
      documentNumber: '京东消检字〔2024〕第0157号',
      premisesName: '张记面馆',
      address: '北京市东城区东华门大街22号',
      floorAreaSqm: 86.5,
      occupancy: 40,
      inspectedOn: '2024-04-02',
      result: 'passed',
      findings: ['灭火器配置符合要求', '疏散通道畅通'],
    },
  },
  {
    key: 'food-zhang-wei-noodles',
    type: 'food_business_permit',
    resident: '张伟',
    data: {
      permitNumber: 'JY21101010045678',
      operatorName: '北京市东城区张记面馆',
      legalRepresentative: '张伟',
      premises: '北京市东城区东华门大街22号',
      businessFormat: 'catering',
      businessItems: ['热食类食品制售', '冷食类食品制售'],
      validFrom: '2024-04-10',
      validUntil: '2029-04-09',
    },
  },
  {
    key: 'licence-wang-fang-shop',
    type: 'business_licence',
    resident: '王芳',
    data: {
      unifiedSocialCreditCode: '92110101MA00WXY57K',
      enterpriseName: '北京市东城区王芳便利店',
      enterpriseType: 'individual_business',
      legalRepresentative: '王芳',
      registeredCapitalYuan: 50000,
      businessScope: '食品销售；日用百货销售',
      address: '北京市东城区景山前街5号',
      establishedOn: '2015-08-11',
    },
  },
  {
    key: 'food-wang-fang-shop',
    type: 'food_business_permit',
    resident: '王芳',
    data: {
      permitNumber: 'JY11101010012345',
      operatorName: '北京市东城区王芳便利店',
      legalRepresentative: '王芳',
      premises: '北京市东城区景山前街5号',
      businessFormat: 'food_retail',
      businessItems: ['预包装食品销售', '散装食品销售'],
      validFrom: '2020-09-01',
      validUntil: '2025-08-31',
    },
    revoke: '经营场所变更，原许可证注销，已按新址重新申请。',
  },
  {
    key: 'social-security-zhang-wei',
    type: 'social_security_enrolment',
    resident: '张伟',
    data: {
      insurances: ['pension', 'medical'],
      insuredAs: 'flexible_employment',
      enrolledOn: '2010-07-01',
      socialSecurityCard: 'issued',
    },
  },
  {
    key: 'social-security-li-na',
    type: 'social_security_enrolment',
    resident: '李娜',
    data: {
      insurances: ['pension', 'medical', 'unemployment', 'work_injury', 'maternity'],
      insuredAs: 'employee',
      employer: '北京华联商厦股份有限公司',
      enrolledOn: '2014-03-01',
      socialSecurityCard: 'issued',
    },
  },
  {
    key: 'social-security-wang-fang',
    type: 'social_security_enrolment',
    resident: '王芳',
    data: {
      insurances: ['pension', 'medical'],
      insuredAs: 'flexible_employment',
      enrolledOn: '2001-09-01',
      socialSecurityCard: 'issued',
    },
  },
  {
    key: 'social-security-chen-jie',
    type: 'social_security_enrolment',
    resident: '陈杰',
    data: {
      insurances: ['medical'],
      insuredAs: 'urban_rural_resident',
      enrolledOn: '2019-09-15',
      socialSecurityCard: 'applied',
    },
  },
];

/** In a demo case's form: the subject id of a demo resident, resolved when the seed applies. */
export interface SubjectOf {
  readonly subjectOf: ResidentName;
}

/**
 * Applications the demo city starts with, so the department queues have work at first start.
 * Each is made as at a real counter: the counter department's clerk checks the resident's ID
 * card (`POST /v1/verifications/in-person`) and applies for them with that verification. The
 * forms are fictional; top-level `SubjectOf` values become the named resident's subject id.
 */
export interface DemoCase {
  readonly key: string;
  readonly resident: ResidentName;
  readonly service: 'open_restaurant' | 'newborn_registration' | 'marriage_registration';
  /** The department whose counter takes the application. */
  readonly counter: (typeof departments)[number]['code'];
  readonly form: Readonly<Record<string, string | number | SubjectOf>>;
}

export const cases: readonly DemoCase[] = [
  {
    key: 'restaurant-wang-fang',
    resident: '王芳',
    service: 'open_restaurant',
    counter: 'market_regulation',
    form: {
      businessName: '芳姐家常菜',
      premisesAddress: '北京市东城区交道口南大街 52 号',
      floorAreaSqm: 64,
      seats: 28,
      legalRepresentative: '王芳',
      cuisine: '北京家常菜',
    },
  },
  {
    key: 'newborn-li-na',
    resident: '李娜',
    service: 'newborn_registration',
    counter: 'health',
    form: {
      childName: '刘思语',
      childSex: 'female',
      birthDate: '2026-02-14',
      birthCertificateNumber: 'R260000214',
      householdOf: 'mother',
    },
  },
  {
    key: 'marriage-chen-jie',
    resident: '陈杰',
    service: 'marriage_registration',
    counter: 'civil_affairs',
    form: {
      partnerSubject: { subjectOf: '王芳' },
      appointmentDate: '2026-06-18',
      registryOffice: '东城区婚姻登记处',
    },
  },
];
