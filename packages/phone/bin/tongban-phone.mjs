#!/usr/bin/env node
// The package's own bin runs its TypeScript sources: register tsx, then hand over to the CLI.
// (`npm run phone` at the repository's root runs the built bundle, build/phone.js, instead.)
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
await main();
