export {
  type CheckLogInput,
  checkLog,
  type Finding,
  type FindingKind,
  type LogCheck,
  type PreviousView,
} from './check-log.js';
export {
  type Checkpoint,
  type CheckpointProblem,
  type CheckpointVerdict,
  DEFAULT_LOG_ISSUER,
  KEY_WINDOW_SKEW_SECONDS,
  type KeyHistory,
  type KeyHistoryEntry,
  LOG_HEAD_TYP,
  type LogKeys,
  type VerifyCheckpointOptions,
  verifyCheckpoint,
} from './checkpoint.js';
export { type AccessLogEntry, leafHashOf, leafOf } from './entry.js';
export {
  type AccessLogItem,
  type EntryProblem,
  type EntryVerdict,
  verifyConsistency,
  verifyEntry,
} from './verify.js';
