/**
 * tongban-phone: a resident's phone in a terminal, for developers walking the QR flow without
 * writing a DPoP client. See USAGE below; every failure prints one line and exits 1.
 */
import { access, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { accessLogJson, DEFAULT_RECORDS_URL, formatAccessLog } from './access-log.js';
import { DEFAULT_WORKFLOW_URL, formatCases, type MyCase } from './cases.js';
import { DEFAULT_DEVICE_FILE, DeviceFileError } from './device-file.js';
import {
  activate,
  answer,
  cases,
  history,
  PhoneError,
  type PhoneIo,
  presentationQr,
  reads,
  withdraw,
} from './phone.js';
import type { DeviceAlg } from './proof.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;

export interface CliIo extends PhoneIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Where defaults come from (`WORKFLOW_URL`); the process environment when run from a terminal. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export const USAGE = `usage:
  tongban-phone activate --code <activation code> --identity <URL> [--alg ES256|EdDSA]
                         [--label <name>] [--device <file>] [--force]
  tongban-phone qr       [--out presentation-qr.png] [--device <file>] [--identity <URL>]
  tongban-phone history  [--json] [--device <file>] [--identity <URL>]
  tongban-phone reads    [--records <URL>] [--json] [--device <file>] [--identity <URL>]
  tongban-phone cases    [--workflow <URL>] [--json] [--device <file>] [--identity <URL>]
  tongban-phone withdraw <case id> [--reason <text>] [--workflow <URL>] [--device <file>]
  tongban-phone answer   <case id> --message <text> [--workflow <URL>] [--device <file>]

activate  makes a device key pair (P-256 by default, Ed25519 with --alg EdDSA) and activates it
          with the code from the counter. --identity is identity's base URL as it knows itself
          (one of its IDENTITY_PUBLIC_URLS, e.g. http://127.0.0.1:3001): every DPoP proof names it.
qr        signs in with the device key, gets a presentation token (60 s, single use), prints it
          on stdout and writes it as a QR code (PNG, ECC M) to --out.
history   lists who verified this resident, when and at which counter.
reads     lists every read of this resident's data and every refusal from records' access log
          (--records, default ${DEFAULT_RECORDS_URL}: one of its RECORDS_PUBLIC_URLS), checks
          each entry's inclusion proof against the signed head, and compares the log with the
          last verified look, kept in access-log.json next to the device file: an entry seen
          before that is gone, changed or moved, or a head that does not extend the old one, is
          reported. Exit 0 when verified (entries not sequenced yet are "pending"), 1 otherwise.
cases     lists this resident's cases at workflow (--workflow, default $WORKFLOW_URL or
          ${DEFAULT_WORKFLOW_URL}: one of its WORKFLOW_PUBLIC_URLS): number, service, status,
          each step's status and due date, then the timeline of every open case and of those
          closed in the last 30 days, in plain language (times in the city's time zone).
withdraw  withdraws an application that is not closed yet.
answer    answers a department's request for information; the clocks restart.

The device file (default ${DEFAULT_DEVICE_FILE}, mode 0600) holds the private key as a JWK so
the next command can sign with it. This is a demo: a real phone keeps its key in the secure
element, non-extractable, and never writes it to a file.`;

class UsageError extends Error {}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'activate':
        return await activateCommand(rest, io);
      case 'qr':
        return await qrCommand(rest, io);
      case 'history':
        return await historyCommand(rest, io);
      case 'reads':
        return await readsCommand(rest, io);
      case 'cases':
        return await casesCommand(rest, io);
      case 'withdraw':
        return await withdrawCommand(rest, io);
      case 'answer':
        return await answerCommand(rest, io);
      case 'help':
      case '--help':
      case '-h':
        io.stdout(USAGE);
        return EXIT_OK;
      case undefined:
        io.stderr(USAGE);
        return EXIT_FAILED;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.stderr(`tongban-phone: ${error.message}\n\n${USAGE}`);
    } else if (error instanceof PhoneError || error instanceof DeviceFileError) {
      io.stderr(`tongban-phone: ${error.message}`);
    } else {
      // Still one line: a developer at a terminal needs the reason, not our stack.
      io.stderr(`tongban-phone: unexpected failure: ${(error as Error)?.message ?? String(error)}`);
    }
    return EXIT_FAILED;
  }
}

async function activateCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      code: { type: 'string' },
      identity: { type: 'string' },
      alg: { type: 'string', default: 'ES256' },
      label: { type: 'string', default: 'demo phone' },
      device: { type: 'string', default: DEFAULT_DEVICE_FILE },
      force: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const code = required(values.code, '--code', 'the activation code printed at the counter');
  const identityUrl = required(values.identity, '--identity', "identity's base URL");
  const device = await activate(
    {
      code,
      identityUrl,
      alg: parseAlg(values.alg),
      label: values.label,
      devicePath: values.device,
      force: values.force,
    },
    io,
  );
  io.stdout(
    `activated device ${device.deviceId} (${device.alg}) for subject ${device.subjectId}; key kept in ${values.device}`,
  );
  return EXIT_OK;
}

async function qrCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      out: { type: 'string', default: 'presentation-qr.png' },
      device: { type: 'string', default: DEFAULT_DEVICE_FILE },
      identity: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const result = await presentationQr(
    {
      out: values.out,
      devicePath: values.device,
      ...(values.identity === undefined ? {} : { identityUrl: values.identity }),
    },
    io,
  );
  // The token alone on stdout, so `TOKEN=$(tongban-phone qr)` works; the rest goes to stderr.
  io.stdout(result.token);
  io.stderr(`wrote ${values.out}; the token is valid until ${result.expiresAt} and works once`);
  return EXIT_OK;
}

async function historyCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      json: { type: 'boolean', default: false },
      device: { type: 'string', default: DEFAULT_DEVICE_FILE },
      identity: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const items = await history(
    {
      devicePath: values.device,
      ...(values.identity === undefined ? {} : { identityUrl: values.identity }),
    },
    io,
  );
  if (values.json) {
    io.stdout(JSON.stringify(items, null, 2));
  } else if (items.length === 0) {
    io.stdout('no verifications yet');
  } else {
    for (const v of items) {
      const where = v.counter === null ? '' : `, counter ${v.counter}`;
      io.stdout(
        `${v.verifiedAt}  ${v.verifier.department.name.en} (${v.verifier.department.code}${where}) by ${v.verifier.kind}  ${v.id}`,
      );
    }
  }
  return EXIT_OK;
}

async function readsCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      records: { type: 'string', default: DEFAULT_RECORDS_URL },
      json: { type: 'boolean', default: false },
      device: { type: 'string', default: DEFAULT_DEVICE_FILE },
      identity: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const report = await reads(
    {
      devicePath: values.device,
      recordsUrl: values.records,
      ...(values.identity === undefined ? {} : { identityUrl: values.identity }),
    },
    io,
  );
  if (values.json) io.stdout(JSON.stringify(accessLogJson(report), null, 2));
  else for (const line of formatAccessLog(report)) io.stdout(line);
  return report.check.ok ? EXIT_OK : EXIT_FAILED;
}

const workflowDefault = (io: CliIo) => {
  const fromEnv = io.env?.WORKFLOW_URL;
  return fromEnv === undefined || fromEnv.trim() === '' ? DEFAULT_WORKFLOW_URL : fromEnv.trim();
};

async function casesCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      workflow: { type: 'string', default: workflowDefault(io) },
      json: { type: 'boolean', default: false },
      device: { type: 'string', default: DEFAULT_DEVICE_FILE },
      identity: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const reports = await cases(
    {
      devicePath: values.device,
      workflowUrl: values.workflow,
      ...(values.identity === undefined ? {} : { identityUrl: values.identity }),
    },
    io,
  );
  if (values.json) io.stdout(JSON.stringify(reports, null, 2));
  else for (const line of formatCases(reports)) io.stdout(line);
  return EXIT_OK;
}

const CASE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The one positional argument: the case id as `cases` prints it. */
function caseIdOf(positionals: readonly string[], command: string): string {
  const [caseId, ...extra] = positionals;
  if (caseId === undefined) {
    throw new UsageError(`${command} needs the case id (as "tongban-phone cases" prints it)`);
  }
  if (extra.length > 0)
    throw new UsageError(`${command} takes one case id, not ${positionals.length}`);
  if (!CASE_ID.test(caseId)) {
    throw new UsageError(
      `"${caseId}" is not a case id (a UUID, as "tongban-phone cases" prints it)`,
    );
  }
  return caseId.toLowerCase();
}

const caseDone = (c: MyCase) =>
  `${c.number} ${c.service.name.en}: ${c.status} (version ${c.version})`;

async function withdrawCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      reason: { type: 'string' },
      workflow: { type: 'string', default: workflowDefault(io) },
      device: { type: 'string', default: DEFAULT_DEVICE_FILE },
      identity: { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  const caseId = caseIdOf(positionals, 'withdraw');
  const result = await withdraw(
    {
      caseId,
      devicePath: values.device,
      workflowUrl: values.workflow,
      ...(values.reason === undefined ? {} : { reason: values.reason }),
      ...(values.identity === undefined ? {} : { identityUrl: values.identity }),
    },
    io,
  );
  io.stdout(`withdrawn: ${caseDone(result)}`);
  return EXIT_OK;
}

async function answerCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      message: { type: 'string' },
      workflow: { type: 'string', default: workflowDefault(io) },
      device: { type: 'string', default: DEFAULT_DEVICE_FILE },
      identity: { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  const caseId = caseIdOf(positionals, 'answer');
  const message = required(values.message, '--message', 'what the department asked for');
  const result = await answer(
    {
      caseId,
      message,
      devicePath: values.device,
      workflowUrl: values.workflow,
      ...(values.identity === undefined ? {} : { identityUrl: values.identity }),
    },
    io,
  );
  io.stdout(`answered: ${caseDone(result)}`);
  return EXIT_OK;
}

function parseAlg(value: string): DeviceAlg {
  switch (value) {
    case 'ES256':
    case 'P-256':
      return 'ES256';
    case 'EdDSA':
    case 'Ed25519':
      return 'EdDSA';
    default:
      throw new UsageError(`--alg must be ES256 (P-256) or EdDSA (Ed25519), not "${value}"`);
  }
}

function required(value: string | undefined, flag: string, what: string): string {
  if (value === undefined || value.trim() === '') {
    throw new UsageError(`${flag} is required (${what})`);
  }
  return value.trim();
}

function isParseArgsError(error: unknown): error is Error {
  if (!(error instanceof Error) || !('code' in error)) return false;
  return typeof error.code === 'string' && error.code.startsWith('ERR_PARSE_ARGS');
}

export const nodeIo: CliIo = {
  env: process.env,
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
  fetch: (request) => fetch(request),
  writeFile: (path, data) => writeFile(path, data),
  fileExists: (path) =>
    access(path).then(
      () => true,
      () => false,
    ),
  now: () => new Date(),
};

export async function main(): Promise<void> {
  process.exitCode = await runCli(process.argv.slice(2), nodeIo);
}

// Run only when executed (tsx src/cli.ts …), never when imported by tests or the bin script.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
