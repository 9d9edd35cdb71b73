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
export { type CliIo, nodeIo, runCli, USAGE } from './cli.js';
export { DEFAULT_DEVICE_FILE, type DeviceFile, readDeviceFile } from './device-file.js';
export { activate, history, PhoneError, presentationQr, reads } from './phone.js';
export { type DeviceAlg, makeProof, type ProofKey } from './proof.js';
