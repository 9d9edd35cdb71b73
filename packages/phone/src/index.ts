export {
  type AccessLogInput,
  type AccessLogReport,
  accessLogFileFor,
  accessLogJson,
  checkMyAccessLog,
  DEFAULT_RECORDS_URL,
  type EntryReport,
  type EntryStatus,
  formatAccessLog,
  type RecordsSession,
  readSeenLog,
  type SeenLog,
} from './access-log.js';
export {
  answerMyCase,
  type CaseEvent,
  type CaseReport,
  CITY_TIME_ZONE,
  DEFAULT_WORKFLOW_URL,
  formatCases,
  isOpenOrRecent,
  listMyCases,
  type MyCase,
  RECENT_DAYS,
  type WorkflowSession,
  withdrawMyCase,
} from './cases.js';
export { type CliIo, nodeIo, runCli, USAGE } from './cli.js';
export { DEFAULT_DEVICE_FILE, type DeviceFile, readDeviceFile } from './device-file.js';
export {
  activate,
  answer,
  cases,
  history,
  PhoneError,
  presentationQr,
  reads,
  withdraw,
} from './phone.js';
export { type DeviceAlg, makeProof, type ProofKey } from './proof.js';
