import type { Actor } from '@tongban/auth';
import type { RequestContext } from '@tongban/service-kit';
import type { WorkingDayCalendar } from '@tongban/working-days';
import type { VerificationCheck } from '../verifications/check-verification.js';
import type { RecordPuller } from './pull-case-records.js';

/** Settings of case handling, from workflow's configuration. */
export interface CaseSettings {
  /** Case numbers read `<prefix><year>-<counter>`, e.g. TB2026-000123. */
  readonly numberPrefix: string;
  /** The public URL the receipt's QR opens, ending before the tracking code. */
  readonly trackingBaseUrl: string;
}

/** What case verbs receive: the request context plus the city's calendar and the settings. */
export interface CaseContext<TActor = Actor> extends RequestContext<TActor> {
  readonly calendar: WorkingDayCalendar;
  readonly settings: CaseSettings;
}

export type { PulledRecords, RecordNeed } from './pull-case-records.js';

/** Reads the case's records from the record API with purpose `case:<id>` and a case grant. */
export type PullRecords = RecordPuller;

/** Asks identity whether a verification id is the clerk's department's, fresh, for this subject. */
export type CheckVerification = (input: {
  readonly verificationId: string;
  readonly subjectId: string;
  readonly bearerToken: string;
  readonly now: Date;
}) => Promise<VerificationCheck>;
