import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

/**
 * PostgreSQL's wire protocol (version 3) in front of one embedded PostgreSQL, for several client
 * connections at once (ADR 0018).
 *
 * The embedded engine is one backend session. Handing it to several connections message by
 * message would let them corrupt each other: one connection's query would run inside another's
 * open transaction, an error would make the backend skip another connection's messages until its
 * Sync, and prepared-statement names would collide. So the session is lent to one connection at a
 * time for a whole unit of work, the way a transaction-pooling proxy lends a server connection:
 * from the connection's first message while the session is idle until the backend says it is idle
 * again (ReadyForQuery with status `I`). A transaction therefore always runs alone, start to end,
 * and statements of different connections never interleave. What this gives up is parallelism,
 * which the engine does not have anyway.
 *
 * Per connection, the proxy also restores what a server would keep per backend:
 * - its role: the session switches to the connecting user (`SET SESSION AUTHORIZATION`) whenever
 *   the session passes to a connection of another user, so each service runs with its own grants;
 * - its prepared statements and portals: names are prefixed with the connection's number, and
 *   a connection's statements are deallocated when it leaves.
 * Session settings a client changes with `SET` outside a transaction are not restored; Tongban's
 * services only change settings for the transaction (`set_config(…, true)`).
 *
 * A connection that keeps a transaction open without sending anything holds every other
 * connection up, so after `idleInTransactionMs` its transaction is rolled back and it is
 * disconnected, as PostgreSQL's idle_in_transaction_session_timeout does.
 */
export interface WireServerOptions {
  /**
   * The engine, or its opening: connections are accepted at once and authenticated, and are told
   * they may go on (AuthenticationOk) once the engine is open, so clients can connect while it
   * opens. If it fails to open, each waiting connection gets the error and is closed.
   */
  readonly pglite: PGlite | Promise<PGlite>;
  /** Users that may connect, with their passwords (sent in clear text over loopback only). */
  readonly users: ReadonlyMap<string, string>;
  readonly host?: string;
  /** 0 (the default) takes any free port. */
  readonly port?: number;
  readonly idleInTransactionMs?: number;
  /** A connection that breaks the protocol is closed; this hears about it. */
  readonly onClientError?: (error: Error) => void;
}

export interface WireServer {
  readonly host: string;
  readonly port: number;
  /** Connections open now, and connections waiting for the session. */
  stats(): { readonly connections: number; readonly waiting: number };
  /** Stops accepting, rolls back any open transaction and closes every connection. */
  close(): Promise<void>;
}

const PROTOCOL_3 = 196_608;
const SSL_REQUEST = 80_877_103;
const GSS_REQUEST = 80_877_104;
const CANCEL_REQUEST = 80_877_102;
/** Far above any statement Tongban sends; a length beyond it is a broken or hostile client. */
const MAX_MESSAGE = 64 * 1024 * 1024;

type Phase = 'startup' | 'password' | 'ready' | 'closed';

interface Connection {
  readonly id: number;
  readonly socket: Socket;
  phase: Phase;
  user: string;
  buffer: Buffer;
  /** Complete messages not yet handed to the engine. */
  readonly queue: Buffer[];
  /** Prepared statements this connection made, by their name in the engine. */
  readonly statements: Set<string>;
  idleTimer?: NodeJS.Timeout;
}

export async function startWireServer(options: WireServerOptions): Promise<WireServer> {
  const idleInTransactionMs = options.idleInTransactionMs ?? 60_000;
  const connections = new Set<Connection>();
  /** Connections with queued messages, in the order they started waiting. */
  const waiting: Connection[] = [];
  let owner: Connection | undefined;
  let sessionUser: string | undefined;
  let nextId = 1;
  let pumping = false;
  let closing = false;
  const chores: ((pglite: PGlite) => Promise<void>)[] = [];

  const engine = Promise.resolve(options.pglite).then(async (pglite) => {
    const settings = await pglite.query<{ name: string; setting: string }>(
      `select name, setting from pg_settings where name in ('server_version', 'server_encoding', 'DateStyle', 'TimeZone', 'integer_datetimes', 'standard_conforming_strings', 'IntervalStyle')`,
    );
    const parameterStatus = Buffer.concat([
      ...settings.rows.map((r) => parameterStatusMessage(r.name, r.setting)),
      parameterStatusMessage('client_encoding', 'UTF8'),
      parameterStatusMessage('is_superuser', 'off'),
    ]);
    return { pglite, parameterStatus };
  });
  // Heard by each connection that waits on it; this keeps a failure from being unhandled.
  engine.catch(() => {});

  const server: Server = createServer((socket) => accept(socket));
  server.maxConnections = 200;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');

  function accept(socket: Socket): void {
    const connection: Connection = {
      id: nextId++,
      socket,
      phase: 'startup',
      user: '',
      buffer: Buffer.alloc(0),
      queue: [],
      statements: new Set(),
    };
    connections.add(connection);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => receive(connection, chunk));
    socket.on('error', () => drop(connection));
    socket.on('close', () => drop(connection));
  }

  function receive(c: Connection, chunk: Buffer): void {
    if (c.phase === 'closed') return;
    c.buffer = c.buffer.length === 0 ? chunk : Buffer.concat([c.buffer, chunk]);
    try {
      readMessages(c);
    } catch (err) {
      fail(c, err instanceof ProtocolError ? err.message : 'protocol violation');
      options.onClientError?.(err as Error);
      return;
    }
    void pump();
  }

  /** Takes every complete message off the connection's buffer. */
  function readMessages(c: Connection): void {
    while (c.phase !== 'closed') {
      if (c.phase === 'startup') {
        if (c.buffer.length < 8) return;
        const length = c.buffer.readInt32BE(0);
        if (length < 8 || length > 10_000) throw new ProtocolError('bad startup packet');
        if (c.buffer.length < length) return;
        const packet = c.buffer.subarray(0, length);
        c.buffer = c.buffer.subarray(length);
        startup(c, packet);
        continue;
      }
      if (c.buffer.length < 5) return;
      const length = c.buffer.readInt32BE(1);
      if (length < 4 || length > MAX_MESSAGE) throw new ProtocolError('bad message length');
      if (c.buffer.length < length + 1) return;
      const message = Buffer.from(c.buffer.subarray(0, length + 1));
      c.buffer = c.buffer.subarray(length + 1);
      if (c.phase === 'password') {
        password(c, message);
        continue;
      }
      if (message[0] === 0x58 /* X: Terminate */) {
        c.socket.end();
        drop(c);
        return;
      }
      if (c.queue.length === 0 && owner !== c && !waiting.includes(c)) waiting.push(c);
      c.queue.push(renamed(c, message));
    }
  }

  function startup(c: Connection, packet: Buffer): void {
    const code = packet.readInt32BE(4);
    if (code === SSL_REQUEST || code === GSS_REQUEST) {
      // Loopback only: no TLS. 'N' tells the client to go on in the clear or give up.
      c.socket.write('N');
      return;
    }
    if (code === CANCEL_REQUEST) {
      // The session cannot be interrupted from outside; the request is dropped as a server
      // drops one that names no backend.
      c.socket.end();
      drop(c);
      return;
    }
    if (code !== PROTOCOL_3) throw new ProtocolError('unsupported protocol version');
    const fields = packet.subarray(8).toString('utf8').split('\0');
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] === 'user') c.user = fields[i + 1] ?? '';
    }
    if (!options.users.has(c.user)) {
      fatal(c, '28000', `role "${c.user}" may not connect to the embedded database`);
      return;
    }
    c.phase = 'password';
    c.socket.write(message(0x52 /* R */, int32(3) /* AuthenticationCleartextPassword */));
  }

  function password(c: Connection, msg: Buffer): void {
    if (msg[0] !== 0x70 /* p */) throw new ProtocolError('expected a password message');
    const given = Buffer.from(msg.subarray(5, msg.length - 1));
    const expected = Buffer.from(options.users.get(c.user) ?? randomBytes(32).toString('hex'));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      fatal(c, '28P01', `password authentication failed for user "${c.user}"`);
      return;
    }
    c.phase = 'ready';
    engine.then(
      ({ parameterStatus }) => {
        if (c.phase === 'closed') return;
        c.socket.write(
          Buffer.concat([
            message(0x52, int32(0)), // AuthenticationOk
            parameterStatus,
            message(0x4b /* K: BackendKeyData */, Buffer.concat([int32(c.id), randomBytes(4)])),
            readyForQuery('I'),
          ]),
        );
      },
      () => fatal(c, '57P03', 'the embedded database could not be opened'),
    );
  }

  /** Gives each connection its own namespace of prepared statements and portals. */
  function renamed(c: Connection, msg: Buffer): Buffer {
    const type = msg[0];
    const prefix = `tb${c.id}_`;
    if (type === 0x50 /* P: Parse */) {
      const [name, end] = cstring(msg, 5);
      if (name === '') return msg;
      c.statements.add(prefix + name);
      return rebuild(msg, [[5, end, prefix + name]]);
    }
    if (type === 0x42 /* B: Bind */) {
      const [portal, portalEnd] = cstring(msg, 5);
      const [statement, statementEnd] = cstring(msg, portalEnd);
      return rebuild(msg, [
        [5, portalEnd, portal === '' ? '' : prefix + portal],
        [portalEnd, statementEnd, statement === '' ? '' : prefix + statement],
      ]);
    }
    if (type === 0x44 /* D: Describe */ || type === 0x43 /* C: Close */) {
      const [name, end] = cstring(msg, 6);
      if (name === '') return msg;
      if (type === 0x43 && msg[5] === 0x53) c.statements.delete(prefix + name);
      return rebuild(msg, [[6, end, prefix + name]]);
    }
    if (type === 0x45 /* E: Execute */) {
      const [portal, end] = cstring(msg, 5);
      return portal === '' ? msg : rebuild(msg, [[5, end, prefix + portal]]);
    }
    return msg;
  }

  /** Runs queued work one unit at a time; only this loop ever talks to the engine. */
  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    try {
      const opened = await engine.catch(() => undefined);
      // Never opened: every connection was already told so and closed.
      if (opened === undefined) return;
      const { pglite } = opened;
      for (;;) {
        const chore = chores.shift();
        if (chore) {
          await chore(pglite).catch((err: unknown) => options.onClientError?.(err as Error));
          continue;
        }
        if (owner === undefined) {
          const next = waiting.shift();
          if (next === undefined) return;
          if (next.phase === 'closed' || next.queue.length === 0) continue;
          owner = next;
          if (sessionUser !== next.user) {
            await pglite.exec(`set session authorization ${quoteIdent(next.user)}`);
            sessionUser = next.user;
          }
        }
        const c: Connection = owner;
        clearTimeout(c.idleTimer);
        // Everything up to and including the next Sync or simple Query goes in as one batch,
        // as a server reads it from its socket.
        const batch: Buffer[] = [];
        let ends = false;
        while (c.queue.length > 0 && !ends) {
          const msg = c.queue.shift() as Buffer;
          batch.push(msg);
          ends = msg[0] === 0x53 /* S: Sync */ || msg[0] === 0x51; /* Q: Query */
        }
        if (batch.length === 0) {
          // The owner is inside a unit of work and has not sent the rest yet.
          armIdleTimer(c);
          return;
        }
        const reply = await pglite.execProtocolRaw(Buffer.concat(batch));
        if (c.phase !== 'closed' && reply.length > 0) c.socket.write(reply);
        const status = ends ? lastReadyStatus(reply) : undefined;
        if (status === 'I') {
          owner = undefined;
          if (c.queue.length > 0 && c.phase !== 'closed') waiting.push(c);
        } else if (c.queue.length === 0) {
          armIdleTimer(c);
          if (c.phase !== 'closed') return;
        }
      }
    } finally {
      pumping = false;
      if (chores.length > 0 || (owner === undefined && waiting.length > 0)) void pump();
    }
  }

  function armIdleTimer(c: Connection): void {
    clearTimeout(c.idleTimer);
    c.idleTimer = setTimeout(() => {
      if (owner !== c) return;
      fatal(
        c,
        '25P03',
        'terminating connection due to idle-in-transaction timeout (embedded database)',
      );
    }, idleInTransactionMs);
    c.idleTimer.unref();
  }

  /** A connection that left: its open transaction and its prepared statements go with it. */
  function drop(c: Connection): void {
    if (c.phase === 'closed') return;
    c.phase = 'closed';
    clearTimeout(c.idleTimer);
    c.queue.length = 0;
    connections.delete(c);
    const index = waiting.indexOf(c);
    if (index >= 0) waiting.splice(index, 1);
    const held = owner === c;
    const statements = [...c.statements];
    if (!held && statements.length === 0) return;
    chores.push(async (pglite) => {
      if (held) {
        // Sync ends an extended-protocol batch cut off mid-way, so the rollback is not skipped.
        await pglite.execProtocolRaw(message(0x53, Buffer.alloc(0)));
        await pglite.exec('rollback');
        if (owner === c) owner = undefined;
      }
      for (const name of statements) {
        await pglite.exec(`deallocate ${quoteIdent(name)}`).catch(() => {});
      }
    });
    void pump();
  }

  function fatal(c: Connection, code: string, text: string): void {
    if (c.socket.writable) {
      c.socket.end(
        message(
          0x45 /* E: ErrorResponse */,
          Buffer.concat([
            field('S', 'FATAL'),
            field('V', 'FATAL'),
            field('C', code),
            field('M', text),
            Buffer.from([0]),
          ]),
        ),
      );
    }
    drop(c);
  }

  function fail(c: Connection, text: string): void {
    fatal(c, '08P01', text);
  }

  return {
    host: address.address,
    port: address.port,
    stats: () => ({ connections: connections.size, waiting: waiting.length }),
    async close() {
      if (closing) return;
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of [...connections]) {
        c.socket.destroy();
        drop(c);
      }
      await pump();
      while (pumping) await new Promise((r) => setTimeout(r, 10));
      await closed;
    },
  };
}

class ProtocolError extends Error {}

function lastReadyStatus(reply: Uint8Array): string | undefined {
  // ReadyForQuery is the last message of a reply that has one: 'Z', length 5, status byte.
  const n = reply.length;
  if (n >= 6 && reply[n - 6] === 0x5a && reply[n - 2] === 5 && reply[n - 5] === 0) {
    return String.fromCharCode(reply[n - 1] as number);
  }
  return undefined;
}

function cstring(buf: Buffer, start: number): [string, number] {
  const end = buf.indexOf(0, start);
  if (end < 0) throw new ProtocolError('unterminated string');
  return [buf.toString('utf8', start, end), end + 1];
}

/** Replaces `[from, to)` ranges (each a C string with its terminator) and fixes the length. */
function rebuild(msg: Buffer, replacements: [number, number, string][]): Buffer {
  const parts: Buffer[] = [msg.subarray(0, 5)];
  let at = 5;
  for (const [from, to, text] of replacements) {
    parts.push(msg.subarray(at, from), Buffer.from(`${text}\0`, 'utf8'));
    at = to;
  }
  parts.push(msg.subarray(at));
  const out = Buffer.concat(parts);
  out.writeInt32BE(out.length - 1, 1);
  return out;
}

function message(type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = type;
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function int32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(value, 0);
  return b;
}

function field(code: string, text: string): Buffer {
  return Buffer.from(`${code}${text}\0`, 'utf8');
}

function parameterStatusMessage(name: string, value: string): Buffer {
  return message(0x53 /* S */, Buffer.from(`${name}\0${value}\0`, 'utf8'));
}

function readyForQuery(status: 'I' | 'T' | 'E'): Buffer {
  return message(0x5a, Buffer.from(status, 'ascii'));
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
