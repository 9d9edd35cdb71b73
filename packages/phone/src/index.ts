export { type CliIo, nodeIo, runCli, USAGE } from './cli.js';
export { DEFAULT_DEVICE_FILE, type DeviceFile, readDeviceFile } from './device-file.js';
export { activate, history, PhoneError, presentationQr } from './phone.js';
export { type DeviceAlg, makeProof, type ProofKey } from './proof.js';
