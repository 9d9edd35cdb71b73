import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { RequestContext } from '@tongban/service-kit';
import { type ServiceDefinitionInput, validateDefinition } from './definition.js';
import { type PublishOutcome, publishDefinition } from './publish-definition.js';

/** A catalogue file that cannot be published: the service refuses to start, naming each fault. */
export class CatalogueError extends Error {
  override readonly name = 'CatalogueError';
}

/**
 * Reads every `<code>.json` of a catalogue directory and validates it. All files are checked
 * before anything is published, so one bad file publishes nothing.
 */
export async function readCatalogue(dir: string): Promise<ServiceDefinitionInput[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  const faults: string[] = [];
  const definitions: ServiceDefinitionInput[] = [];
  for (const file of files) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(join(dir, file), 'utf8'));
    } catch (err) {
      faults.push(`${file}: not JSON (${(err as Error).message})`);
      continue;
    }
    const result = validateDefinition(parsed);
    if (!result.ok) {
      faults.push(...result.errors.map((e) => `${file}: ${e.path} ${e.message}`));
    } else if (result.definition.code !== basename(file, '.json')) {
      faults.push(`${file}: /code must equal the file name (${result.definition.code})`);
    } else {
      definitions.push(result.definition);
    }
  }
  if (faults.length > 0) {
    throw new CatalogueError(`The service catalogue in ${dir} is invalid:\n${faults.join('\n')}`);
  }
  return definitions;
}

/** Reads, validates and publishes a catalogue directory; unchanged definitions are no-ops. */
export async function publishCatalogue({
  ctx,
  dir,
}: {
  ctx: RequestContext<undefined>;
  dir: string;
}): Promise<PublishOutcome[]> {
  const definitions = await readCatalogue(dir);
  const outcomes: PublishOutcome[] = [];
  for (const input of definitions) outcomes.push(await publishDefinition({ ctx, input }));
  return outcomes;
}
