#!/usr/bin/env node
// The sources are TypeScript run as they are (no build step in this repository): register tsx,
// then hand over to the CLI, which runs itself when it is the entry point.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
await main();
