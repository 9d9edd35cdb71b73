import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runLauncherToExit } from '../helpers/system.js';

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.end('not tongban\n'));
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('the start command when a port is taken', () => {
  let squatter: Server;
  let dataDir: string;
  const ports = { portal: 0, identity: 0, workflow: 0, records: 0 };
  let result: { code: number | null; output: string };

  beforeAll(async () => {
    for (const name of Object.keys(ports) as (keyof typeof ports)[]) ports[name] = await freePort();
    squatter = await listenOn(ports.workflow);
    dataDir = await mkdtemp(join(tmpdir(), 'tb-port-taken-'));
    result = await runLauncherToExit({
      HOST: '127.0.0.1',
      PORTAL_PORT: String(ports.portal),
      IDENTITY_PORT: String(ports.identity),
      WORKFLOW_PORT: String(ports.workflow),
      RECORDS_PORT: String(ports.records),
      TONGBAN_DATA_DIR: dataDir,
    });
  });
  afterAll(async () => {
    await new Promise((resolve) => squatter?.close(resolve));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('exits non-zero, naming the port and the variable that moves it', () => {
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(`port ${ports.workflow} on 127.0.0.1 is already in use`);
    expect(result.output).toContain('WORKFLOW_PORT');
    expect(result.output).not.toContain('Tongban is running');
  });

  it('leaves nothing running and nothing written', async () => {
    for (const port of [ports.portal, ports.identity, ports.records]) {
      expect(await isFree(port)).toBe(true);
    }
    expect(await readdir(dataDir)).toEqual([]);
  });
});
