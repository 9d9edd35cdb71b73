import { Type } from 'typebox';
import { DEPARTMENT_PATTERN } from '../../domain/services/definition.js';

/** A day in the city's time zone; ajv checks it is a real date. */
const cityDay = (what: string) =>
  Type.String({
    format: 'date',
    description: `${what}: a day in the city’s time zone (WORKFLOW_TIME_ZONE), YYYY-MM-DD`,
  });

export const SlaStatsQuery = Type.Object(
  {
    department: Type.Optional(
      Type.String({ pattern: DEPARTMENT_PATTERN, description: 'Yours when absent' }),
    ),
    from: Type.Optional(cityDay('The first day whose decisions count')),
    to: Type.Optional(cityDay('The last day whose decisions count')),
  },
  { additionalProperties: false },
);

const count = (description: string) => Type.Integer({ minimum: 0, description });

export const SlaStats = Type.Object({
  department: Type.String(),
  from: Type.Union([Type.String({ format: 'date' }), Type.Null()], {
    description: 'First day of the decisions counted; null: since the first',
  }),
  to: Type.Union([Type.String({ format: 'date' }), Type.Null()], {
    description: 'Last day of the decisions counted; null: up to now',
  }),
  asOf: Type.String({ format: 'date-time', description: 'When the figures were computed' }),
  decided: Type.Object({
    count: count('Tasks approved or rejected in the range'),
    onTime: count('Of those, decided before their deadline'),
    onTimeRate: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], {
      description: 'onTime / count, to four places; null when nothing was decided',
    }),
    medianHandlingHours: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], {
      description:
        'Median wall-clock hours from a task’s opening to its decision, less the time its clock was stopped waiting on the resident; to two places; null when nothing was decided',
    }),
  }),
  open: Type.Object({
    count: count('Tasks open in the department’s queue now'),
    overdue: count('Of those, past their deadline with the clock running'),
    awaitingInformation: count('Tasks waiting on a resident (clock stopped)'),
  }),
});
