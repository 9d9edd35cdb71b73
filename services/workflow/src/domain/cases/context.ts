import type { Actor } from '@tongban/auth';
import type { RequestContext } from '@tongban/service-kit';
import type { WorkingDayCalendar } from '@tongban/working-days';

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

/** A needed record type and the step whose department reads it. */
export interface RecordNeed {
  readonly type: string;
  readonly step: string;
}

/** What pulling a case's records found: references to the records, and the types missing. */
export interface PulledRecords {
  readonly references: readonly {
    readonly type: string;
    readonly step: string;
    readonly recordId: string;
    readonly version: number;
    readonly digest: string;
    readonly issuerDepartment: string;
  }[];
  readonly missing: readonly {
    readonly type: string;
    readonly step: string;
    readonly issuerDepartment: string | null;
  }[];
}

/** Reads the case's records from the record API with purpose `case:<id>` and a case grant. */
export type PullRecords = (input: {
  readonly caseId: string;
  readonly subjectId: string;
  readonly needs: readonly RecordNeed[];
}) => Promise<PulledRecords>;

export type VerificationCheck = 'fresh' | 'not_found' | 'other_subject' | 'stale';

/** Asks identity whether a verification id is the clerk's department's, fresh, for this subject. */
export type CheckVerification = (input: {
  readonly verificationId: string;
  readonly subjectId: string;
  readonly bearerToken: string;
  readonly now: Date;
}) => Promise<VerificationCheck>;
