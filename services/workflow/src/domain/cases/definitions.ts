import type { Db } from '@tongban/db';
import { findServiceDefinition } from '../../db/queries/service-definitions.js';
import type { ServiceDefinitionInput } from '../services/definition.js';

export interface CaseDefinition {
  readonly code: string;
  readonly version: number;
  readonly definition: ServiceDefinitionInput;
}

const LIMIT = 500;

/**
 * Published definition versions, read once per process. A published version never changes (the
 * table refuses updates), so an entry can never be stale; the map is bounded, oldest out first.
 */
export function definitionCache() {
  const entries = new Map<string, CaseDefinition>();
  return async (db: Db, code: string, version?: number): Promise<CaseDefinition | undefined> => {
    if (version !== undefined) {
      const hit = entries.get(`${code}@${version}`);
      if (hit !== undefined) return hit;
    }
    const row = await findServiceDefinition(db, code, version);
    if (row === undefined) return undefined;
    const found = {
      code: row.code,
      version: row.version,
      definition: row.definition as ServiceDefinitionInput,
    };
    if (entries.size >= LIMIT) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
    entries.set(`${row.code}@${row.version}`, found);
    return found;
  };
}

export type DefinitionLookup = ReturnType<typeof definitionCache>;
