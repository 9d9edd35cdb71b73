// Writes cases and their tasks straight into workflow's tables, as years of use would have left
// them, so the department queue can be measured at sizes no bench could submit through the API.
// One INSERT … SELECT over generate_series per batch writes the cases and, in the same statement,
// their tasks (a data-modifying CTE, so the foreign key is checked as usual). Every value is a
// pure function of the case's ordinal n: a batch can be rerun or extended (n = 10,001 … onwards)
// and the cases of one size are a prefix of the next size's.
//
// The mix (per 100 cases): 70 restaurant openings and 30 newborn registrations, the two catalogue
// services with four steps; 65 still in progress at some stage (submitted within the last 25
// days, so some are overdue), 35 closed (approved, rejected or withdrawn, up to three years ago).
// Tasks carry what their stage implies: waiting tasks no deadline, open ones a deadline of their
// step's working days (× 1.4 calendar days) after they opened, decided ones who and when.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

const CATALOGUE = fileURLToPath(new URL('../../../services/workflow/catalogue/', import.meta.url));

type TaskStatus =
  | 'waiting'
  | 'open'
  | 'awaiting_information'
  | 'approved'
  | 'rejected'
  | 'cancelled';
type CaseStatus = 'in_progress' | 'awaiting_information' | 'approved' | 'rejected' | 'withdrawn';

interface Stage {
  readonly name: string;
  /** Share of this service's cases at this stage. */
  readonly weight: number;
  readonly caseStatus: CaseStatus;
  /** Status of each step, by step id. */
  readonly tasks: Readonly<Record<string, TaskStatus>>;
}

interface ServiceMix {
  readonly code: string;
  /** Share of all cases. */
  readonly share: number;
  readonly stages: readonly Stage[];
}

const stage = (
  name: string,
  weight: number,
  caseStatus: CaseStatus,
  tasks: Record<string, TaskStatus>,
): Stage => ({ name, weight, caseStatus, tasks });

const MIX: readonly ServiceMix[] = [
  {
    code: 'open_restaurant',
    share: 0.7,
    stages: [
      stage('submitted', 0.25, 'in_progress', {
        business_licence: 'open',
        fire_inspection: 'open',
        food_permit: 'open',
        final_issuance: 'waiting',
      }),
      stage('licensed', 0.15, 'in_progress', {
        business_licence: 'approved',
        fire_inspection: 'open',
        food_permit: 'open',
        final_issuance: 'waiting',
      }),
      stage('awaiting_information', 0.07, 'awaiting_information', {
        business_licence: 'awaiting_information',
        fire_inspection: 'open',
        food_permit: 'open',
        final_issuance: 'waiting',
      }),
      stage('inspected', 0.08, 'in_progress', {
        business_licence: 'approved',
        fire_inspection: 'approved',
        food_permit: 'open',
        final_issuance: 'waiting',
      }),
      stage('issuing', 0.1, 'in_progress', {
        business_licence: 'approved',
        fire_inspection: 'approved',
        food_permit: 'approved',
        final_issuance: 'open',
      }),
      stage('approved', 0.28, 'approved', {
        business_licence: 'approved',
        fire_inspection: 'approved',
        food_permit: 'approved',
        final_issuance: 'approved',
      }),
      stage('rejected', 0.04, 'rejected', {
        business_licence: 'approved',
        fire_inspection: 'rejected',
        food_permit: 'cancelled',
        final_issuance: 'cancelled',
      }),
      stage('withdrawn', 0.03, 'withdrawn', {
        business_licence: 'approved',
        fire_inspection: 'cancelled',
        food_permit: 'cancelled',
        final_issuance: 'cancelled',
      }),
    ],
  },
  {
    code: 'newborn_registration',
    share: 0.3,
    stages: [
      stage('submitted', 0.2, 'in_progress', {
        birth_check: 'open',
        household: 'waiting',
        medical_insurance: 'waiting',
        social_security_card: 'waiting',
      }),
      stage('checked', 0.2, 'in_progress', {
        birth_check: 'approved',
        household: 'open',
        medical_insurance: 'waiting',
        social_security_card: 'waiting',
      }),
      stage('awaiting_information', 0.05, 'awaiting_information', {
        birth_check: 'approved',
        household: 'awaiting_information',
        medical_insurance: 'waiting',
        social_security_card: 'waiting',
      }),
      stage('registered', 0.15, 'in_progress', {
        birth_check: 'approved',
        household: 'approved',
        medical_insurance: 'open',
        social_security_card: 'open',
      }),
      stage('insured', 0.05, 'in_progress', {
        birth_check: 'approved',
        household: 'approved',
        medical_insurance: 'approved',
        social_security_card: 'open',
      }),
      stage('approved', 0.3, 'approved', {
        birth_check: 'approved',
        household: 'approved',
        medical_insurance: 'approved',
        social_security_card: 'approved',
      }),
      stage('rejected', 0.03, 'rejected', {
        birth_check: 'approved',
        household: 'rejected',
        medical_insurance: 'cancelled',
        social_security_card: 'cancelled',
      }),
      stage('withdrawn', 0.02, 'withdrawn', {
        birth_check: 'cancelled',
        household: 'cancelled',
        medical_insurance: 'cancelled',
        social_security_card: 'cancelled',
      }),
    ],
  },
];

/** Which department issues each record type the catalogue's services pull. */
const ISSUERS: Readonly<Record<string, string>> = {
  business_licence: 'market_regulation',
  fire_safety_inspection: 'fire_safety',
  food_business_permit: 'market_regulation',
  birth_record: 'health',
  household_registration: 'public_security',
};

interface CatalogueStep {
  readonly id: string;
  readonly department: string;
  readonly kind: string;
  readonly dependsOn: readonly string[];
  readonly slaWorkingDays: number;
}

interface CatalogueService {
  readonly code: string;
  readonly steps: readonly CatalogueStep[];
  readonly recordTypes: readonly { readonly code: string; readonly step: string }[];
}

export interface SeedOptions {
  /** First and last case ordinal, inclusive. */
  readonly from: number;
  readonly to: number;
  /** "Now" of the seeded world: in-progress cases are up to 25 days older. */
  readonly now: Date;
  /** Cases per statement. */
  readonly batch?: number;
  /** Statements in flight at once (default 2). */
  readonly parallel?: number;
  readonly onBatch?: (lastWritten: number) => void;
  /** Only cases of this service at this stage (e.g. fresh submissions to decide on). */
  readonly only?: { readonly service: string; readonly stage: string };
}

/**
 * Writes cases `from`…`to` (and their tasks) into the workflow schema the pool reaches, a batch
 * per statement, `parallel` statements at a time (one per core is what the server can use).
 */
export async function seedCases(pool: pg.Pool, options: SeedOptions): Promise<void> {
  const statement = seedStatement(options.only);
  const batch = options.batch ?? 50_000;
  let next = options.from;
  const worker = async () => {
    const client = await pool.connect();
    try {
      // Each batch is one statement and its own transaction: nothing waits on its commit.
      await client.query('set synchronous_commit = off');
      while (next <= options.to) {
        const lo = next;
        const hi = Math.min(options.to, lo + batch - 1);
        next = hi + 1;
        await client.query(statement, [lo, hi, options.now]);
        options.onBatch?.(hi);
      }
    } finally {
      await client.query('reset synchronous_commit');
      client.release();
    }
  };
  await Promise.all(Array.from({ length: options.parallel ?? 2 }, worker));
}

// A uniform number in [0, 1) from the ordinal and a salt: independent per salt, same every run.
const uniform = (salt: number) =>
  `((hashint8extended(n::bigint, ${salt}) & 2147483647)::float8 / 2147483648.0)`;
const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
const iso = (expr: string) =>
  `to_char(${expr} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const statements = new Map<string, string>();

function seedStatement(only: SeedOptions['only']): string {
  const cacheKey = only === undefined ? '' : `${only.service}/${only.stage}`;
  const cached = statements.get(cacheKey);
  if (cached !== undefined) return cached;
  // (service, stage) as a range of one uniform draw, each with its case status, version and the
  // status of every step in the catalogue's order.
  const picks = MIX.flatMap((service) =>
    service.stages
      .filter((s) => only === undefined || (only.service === service.code && only.stage === s.name))
      .map((s) => ({
        service,
        stage: s,
        share: only === undefined ? service.share * s.weight : 1,
      })),
  );
  if (picks.length === 0) throw new Error(`no stage ${cacheKey} in the mix`);
  const mixRows: string[] = [];
  const stepRows: string[] = [];
  const recordsByService: string[] = [];
  let lo = 0;
  for (const service of MIX) {
    const definition = loadService(service.code);
    const totalWeight = service.stages.reduce((sum, s) => sum + s.weight, 0);
    if (Math.abs(totalWeight - 1) > 1e-9) throw new Error(`${service.code}: stage weights ≠ 1`);
    for (const pick of picks.filter((p) => p.service === service)) {
      const s = pick.stage;
      const statuses = definition.steps.map((step) => {
        const status = s.tasks[step.id];
        if (status === undefined) throw new Error(`${service.code}/${s.name}: no ${step.id}`);
        return status;
      });
      if (Object.keys(s.tasks).length !== definition.steps.length) {
        throw new Error(`${service.code}/${s.name}: steps differ from the catalogue`);
      }
      // Every decision, request for information and the withdrawal bumped the case's version.
      const changes =
        statuses.filter((t) => t === 'approved' || t === 'rejected' || t === 'awaiting_information')
          .length + (s.caseStatus === 'withdrawn' ? 1 : 0);
      // The last range ends at 1 exactly, so every draw lands in one row despite rounding.
      const hi = pick === picks.at(-1) ? 1 : lo + pick.share;
      const closed = !['in_progress', 'awaiting_information'].includes(s.caseStatus);
      mixRows.push(
        `(${quote(service.code)}, ${lo}::float8, ${hi}::float8, ${closed}, ${quote(s.caseStatus)}, ${1 + changes}, ${criticalPath(definition.steps)}, array[${statuses.map(quote).join(', ')}])`,
      );
      lo = hi;
    }
    definition.steps.forEach((step, i) => {
      stepRows.push(
        `(${quote(service.code)}, ${i + 1}, ${quote(step.id)}, ${quote(step.department)}, ${quote(step.kind)}, ${step.slaWorkingDays}, ${depth(definition.steps, step)})`,
      );
    });
    const refs = definition.recordTypes.map(
      (r) =>
        `jsonb_build_object('type', ${quote(r.code)}, 'step', ${quote(r.step)}, 'recordId', md5(${quote(`record:${r.code}:`)} || n)::uuid::text, 'version', 1, 'digest', rtrim(translate(encode(sha256(convert_to(${quote(`${r.code}:`)} || n, 'UTF8')), 'base64'), '+/', '-_'), '='), 'issuerDepartment', ${ISSUERS[r.code] === undefined ? 'null' : quote(ISSUERS[r.code] as string)})`,
    );
    recordsByService.push(`when ${quote(service.code)} then jsonb_build_array(${refs.join(', ')})`);
  }

  const day = "interval '1 day'";
  const ms = (expr: string) => `date_trunc('milliseconds', ${expr})`;
  const statement = `
with drawn as (
  select n, ${uniform(1)} as u_mix, ${uniform(2)} as u_age, ${uniform(3)} as u_pace
    from generate_series($1::int, $2::int) as n
), picked as (
  select d.n, d.u_pace, m.*,
         md5('case:' || d.n)::uuid as case_id,
         substr(md5('subject:' || (d.n % 611953)), 1, 16) as subject_id,
         ${ms(`$3::timestamptz - case when m.closed then 30 * ${day} + d.u_age * 1095 * ${day} else d.u_age * 25 * ${day} end`)} as submitted_at
    from drawn d
    join (values ${mixRows.join(',\n      ')})
      as m(service_code, lo, hi, closed, case_status, version, sla, statuses)
      on d.u_mix >= m.lo and d.u_mix < m.hi
), timed as (
  -- When the case last moved: a closed case within its time limit (or a little over), an open
  -- one somewhere between its submission and now.
  select p.*,
         ${ms(`case when p.closed then p.submitted_at + p.sla * 1.4 * (0.4 + 0.8 * p.u_pace) * ${day} else p.submitted_at + ($3::timestamptz - p.submitted_at) * (0.2 + 0.7 * p.u_pace) end`)} as moved_at
    from picked p
), new_cases as (
  insert into workflow.cases (id, number, tracking_code, service_code, service_version, subject_id,
      submitted_by_kind, submitted_by, submitted_by_department, form, records, records_pulled_at,
      status, version, sla_working_days, due_at, pauses, submitted_at, updated_at, completed_at)
  select t.case_id,
         'TB' || to_char(t.submitted_at at time zone 'Asia/Shanghai', 'YYYY') || '-' || lpad(t.n::text, 7, '0'),
         upper(substr(md5('track:' || t.n), 1, 20)),
         t.service_code, 1, t.subject_id, 'resident', t.subject_id, null,
         case t.service_code
           when 'open_restaurant' then jsonb_build_object(
             'businessName', '老街面馆 ' || t.n, 'premisesAddress', '青云路 ' || (t.n % 997) || ' 号一层',
             'floorAreaSqm', 40 + (t.n % 260) / 2.0, 'seats', 10 + t.n % 120, 'legalRepresentative', '张伟')
           else jsonb_build_object(
             'childName', '李小满', 'childSex', case when t.n % 2 = 0 then 'female' else 'male' end,
             'birthDate', to_char(t.submitted_at - 5 * ${day}, 'YYYY-MM-DD'),
             'birthCertificateNumber', 'Q' || lpad((t.n % 1000000000)::text, 9, '0'),
             'householdOf', 'mother')
         end,
         case t.service_code ${recordsByService.join(' ')} end,
         t.submitted_at + interval '2 seconds',
         t.case_status, t.version, t.sla,
         ${ms(`t.submitted_at + t.sla * 1.4 * ${day}`)},
         case when t.case_status = 'awaiting_information'
           then jsonb_build_array(jsonb_build_object('from', ${iso('t.moved_at')}, 'to', null))
           else '[]'::jsonb end,
         t.submitted_at, t.moved_at, case when t.closed then t.moved_at end
    from timed t
  returning id
)
insert into workflow.tasks (id, case_id, step_id, department, kind, status, sla_working_days,
    opened_at, due_at, pauses, decided_at, decided_by, reason, overdue_at)
select md5('task:' || t.n || ':' || s.step_id)::uuid, t.case_id, s.step_id, s.department, s.kind,
       x.status, s.sla, x.opened_at, y.due_at,
       case when t.case_status = 'awaiting_information' and x.status in ('open', 'awaiting_information')
         then jsonb_build_array(jsonb_build_object('from', ${iso('t.moved_at')}, 'to', null))
         else '[]'::jsonb end,
       case when x.status in ('approved', 'rejected')
         then ${ms('x.opened_at + (t.moved_at - x.opened_at) * (0.5 + 0.5 * t.u_pace)')} end,
       case when x.status in ('approved', 'rejected') then 'staff:officer-' || s.department end,
       case x.status
         when 'approved' then '材料齐全，予以通过'
         when 'rejected' then '经营场所不符合安全要求'
         when 'awaiting_information' then '请补充经营场所平面图'
       end,
       case when x.status = 'open' and y.due_at < $3::timestamptz
         then least(y.due_at + interval '10 minutes', $3::timestamptz) end
  from timed t
  join (values ${stepRows.join(',\n    ')})
    as s(service_code, ord, step_id, department, kind, sla, depth)
    on s.service_code = t.service_code
  cross join lateral (
    select t.statuses[s.ord] as status,
           case when t.statuses[s.ord] = 'waiting' then null
             -- a later step opened part of the way to the case's last move
             else ${ms(`t.submitted_at + (t.moved_at - t.submitted_at) * (s.depth / 3.0)`)} end as opened_at
  ) x
  cross join lateral (
    select ${ms(`x.opened_at + s.sla * 1.4 * ${day}`)} as due_at
  ) y`;
  statements.set(cacheKey, statement);
  return statement;
}

const services = new Map<string, CatalogueService>();

function loadService(code: string): CatalogueService {
  let found = services.get(code);
  if (found === undefined) {
    found = JSON.parse(readFileSync(`${CATALOGUE}${code}.json`, 'utf8')) as CatalogueService;
    services.set(code, found);
  }
  return found;
}

/** Steps between a step and a start step (0 for a start step). */
function depth(steps: readonly CatalogueStep[], step: CatalogueStep): number {
  if (step.dependsOn.length === 0) return 0;
  return (
    1 +
    Math.max(
      ...step.dependsOn.map((id) => depth(steps, steps.find((s) => s.id === id) as CatalogueStep)),
    )
  );
}

/** Working days along the longest path, as the case's own time limit. */
function criticalPath(steps: readonly CatalogueStep[]): number {
  const finish = (step: CatalogueStep): number =>
    step.slaWorkingDays +
    Math.max(
      0,
      ...step.dependsOn.map((id) => finish(steps.find((s) => s.id === id) as CatalogueStep)),
    );
  return Math.max(...steps.map(finish));
}
