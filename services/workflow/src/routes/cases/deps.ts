import type { Db } from '@tongban/db';
import type { SigningKeyStore } from '@tongban/keys';
import type { WorkingDayCalendar } from '@tongban/working-days';
import type { TObject } from 'typebox';
import type { CaseSettings, CheckVerification, PullRecords } from '../../domain/cases/context.js';
import type { DefinitionLookup } from '../../domain/cases/definitions.js';
import type { FormValidators } from '../../domain/cases/form.js';

/** What the case routes use; built once in buildApp. */
export interface CaseDeps {
  readonly db: Db;
  readonly clock: () => Date;
  readonly calendar: WorkingDayCalendar;
  readonly settings: CaseSettings;
  readonly keys: SigningKeyStore;
  readonly definitions: DefinitionLookup;
  readonly forms: FormValidators;
  /** Absent when the record API is not configured: cases then wait for their records. */
  readonly pullRecords: PullRecords | undefined;
  readonly checkVerification: CheckVerification | undefined;
  /** The DPoP header documentation of workflow's resident routes. */
  readonly proofHeaders: TObject;
}
