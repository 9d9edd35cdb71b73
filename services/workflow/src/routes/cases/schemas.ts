import { SafeText } from '@tongban/service-kit';
import { Type } from 'typebox';
import { CASE_STATUSES, TASK_STATUSES } from '../../db/schema.js';
import { QUEUE_VIEWS } from '../../domain/cases/read-cases.js';
import { TRACKING_CODE_PATTERN } from '../../domain/cases/sla.js';
import { CODE_PATTERN, DEPARTMENT_PATTERN } from '../../domain/services/definition.js';

const Uuid = Type.String({ format: 'uuid' });
/** The opaque cursor of the next page, as a list gave it (base64url). */
const Cursor = Type.String({ minLength: 1, maxLength: 512, pattern: '^[A-Za-z0-9_-]+$' });
const Instant = Type.String({ format: 'date-time' });
const NullableInstant = Type.Union([Instant, Type.Null()]);
const Names = Type.Object({ zh: Type.String(), en: Type.String() });
const Department = Type.String({ pattern: DEPARTMENT_PATTERN });
export const SubjectId = Type.String({
  pattern: '^[A-Za-z0-9_-]{16}$',
  description: "The resident's pseudonymous subject id (never the ID-card number)",
});
export const VerificationId = Type.String({
  pattern: '^[A-Za-z0-9_-]{8,64}$',
  description:
    "A verification id from identity: your department's QR scan or ID-card check of the resident, at most 10 minutes old",
});

export const CaseParams = Type.Object({ id: Uuid });
export const TaskParams = Type.Object({ id: Uuid, taskId: Uuid });

export const Task = Type.Object({
  id: Uuid,
  step: Type.String(),
  name: Names,
  department: Department,
  kind: Type.String(),
  status: Type.Unsafe<(typeof TASK_STATUSES)[number]>({ type: 'string', enum: [...TASK_STATUSES] }),
  slaWorkingDays: Type.Integer(),
  openedAt: NullableInstant,
  dueAt: Type.Union([Instant, Type.Null()], {
    description: '24:00 city time of the last working day allowed; moves on by any pause',
  }),
  paused: Type.Boolean({ description: 'The clock is stopped: the case waits on the resident' }),
  overdue: Type.Boolean({
    description:
      'Open and its clock ran out: 24:00 of its last working day passed while the clock ran',
  }),
  escalated: Type.Boolean({
    description:
      'The overdue sweep reported it (`task.overdue`) and told the department’s administrator (`task.escalated`); stays true once set',
  }),
  decidedAt: NullableInstant,
  reason: Type.Union([Type.String(), Type.Null()], {
    description: 'The decision’s reason, or what was asked of the resident',
  }),
});

export const Case = Type.Object({
  id: Uuid,
  number: Type.String({ description: 'Human-readable case number, e.g. TB2026-000123' }),
  trackingCode: Type.String({
    pattern: TRACKING_CODE_PATTERN,
    description: 'Printed on the receipt; opens the public tracking page',
  }),
  service: Type.Object({ code: Type.String(), version: Type.Integer(), name: Names }),
  subjectId: Type.String(),
  status: Type.Unsafe<(typeof CASE_STATUSES)[number]>({ type: 'string', enum: [...CASE_STATUSES] }),
  version: Type.Integer({ description: 'Also in the ETag; send it back in If-Match' }),
  submittedBy: Type.Object({
    kind: Type.String({ enum: ['resident', 'staff'] }),
    department: Type.Union([Type.String(), Type.Null()]),
  }),
  submittedAt: Instant,
  updatedAt: Instant,
  completedAt: NullableInstant,
  slaWorkingDays: Type.Integer({ description: 'Working days along the longest path of steps' }),
  dueAt: NullableInstant,
  paused: Type.Boolean(),
  form: Type.Record(Type.String(), Type.Unknown()),
  records: Type.Object({
    pulled: Type.Boolean({
      description: 'False until the records were pulled (retried in the background if it failed)',
    }),
    references: Type.Array(
      Type.Object({
        type: Type.String(),
        step: Type.String(),
        recordId: Type.String(),
        version: Type.Integer(),
        digest: Type.String({ description: 'base64url SHA-256 of the version’s RFC 8785 JSON' }),
        issuerDepartment: Type.String(),
      }),
    ),
    missing: Type.Array(
      Type.Object({
        type: Type.String(),
        step: Type.String(),
        issuerDepartment: Type.Union([Type.String(), Type.Null()], {
          description: 'Where the resident can have it issued',
        }),
      }),
    ),
  }),
  tasks: Type.Array(Task),
});

export const CaseList = Type.Object({
  items: Type.Array(Case),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const NewCase = Type.Object(
  {
    service: Type.String({ pattern: CODE_PATTERN, description: 'A service code of the catalogue' }),
    form: Type.Record(Type.String(), Type.Unknown(), {
      description: "The applicant's form; checked against the service's form schema",
    }),
    subjectId: Type.Optional(SubjectId),
    verificationId: Type.Optional(VerificationId),
  },
  { additionalProperties: false },
);

export const CaseListQuery = Type.Object({
  subjectId: Type.Optional(SubjectId),
  verificationId: Type.Optional(VerificationId),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(Cursor),
});

export const CaseQuery = Type.Object({ verificationId: Type.Optional(VerificationId) });

export const DecisionBody = Type.Object(
  {
    decision: Type.String({ enum: ['approve', 'reject', 'request_information'] }),
    reason: SafeText({
      minLength: 1,
      maxLength: 2000,
      multiline: true,
      description: 'Why; shown to the resident. For request_information: what to send.',
    }),
  },
  { additionalProperties: false },
);

export const WithdrawBody = Type.Object(
  { reason: Type.Optional(SafeText({ maxLength: 1000, multiline: true })) },
  { additionalProperties: false },
);

export const InformationBody = Type.Object(
  { message: SafeText({ minLength: 1, maxLength: 4000, multiline: true }) },
  { additionalProperties: false },
);

export const IfMatchHeader = Type.Object({
  'if-match': Type.Optional(
    SafeText({ maxLength: 256, description: 'The ETag of the case as you last read it' }),
  ),
});

export const CaseEvent = Type.Object({
  id: Uuid,
  type: Type.String(),
  occurredAt: Instant,
  caseVersion: Type.Union([Type.Integer(), Type.Null()]),
  actor: Type.Object({
    kind: Type.String({ description: 'resident, staff, client or system; officers are not named' }),
    department: Type.Union([Type.String(), Type.Null()]),
  }),
  step: Type.Union([Type.String(), Type.Null()]),
  department: Type.Union([Type.String(), Type.Null()]),
  decision: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  summary: Names,
});

export const CaseEventList = Type.Object({
  items: Type.Array(CaseEvent),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const EventsQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 100 }),
  cursor: Type.Optional(Uuid),
});

export const QueueParams = Type.Object({ code: Department });
export const QueueQuery = Type.Object({
  view: Type.String({ enum: [...QUEUE_VIEWS], default: 'open' }),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(Cursor),
});
export const QueueItem = Type.Object({
  ...Task.properties,
  case: Type.Object({
    id: Uuid,
    number: Type.String(),
    version: Type.Integer(),
    service: Type.Object({ code: Type.String(), version: Type.Integer(), name: Names }),
  }),
});
export const QueuePage = Type.Object({
  items: Type.Array(QueueItem),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const TrackParams = Type.Object({
  trackingCode: Type.String({ pattern: TRACKING_CODE_PATTERN }),
});
export const Tracking = Type.Object({
  service: Type.Object({ code: Type.String(), name: Names }),
  number: Type.String(),
  status: Type.String(),
  submittedAt: Instant,
  dueAt: NullableInstant,
  completedAt: NullableInstant,
  stages: Type.Array(
    Type.Object({
      name: Names,
      department: Type.String(),
      status: Type.String(),
      openedAt: NullableInstant,
      dueAt: NullableInstant,
      decidedAt: NullableInstant,
    }),
  ),
});

export const CaseGrant = Type.Object({
  token: Type.String({ description: 'A tb-case-grant+jwt for the Case-Grant header of records' }),
  purpose: Type.String({ description: 'The purpose to state to records: case:<id>' }),
  subjectId: Type.String(),
  types: Type.Array(Type.String()),
  expiresAt: Instant,
});
