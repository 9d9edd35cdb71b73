import { type RequestContext, withTransaction } from '@tongban/service-kit';
import {
  findServiceDefinition,
  insertServiceDefinition,
} from '../../db/queries/service-definitions.js';
import { recordChange } from '../events/record-change.js';
import { definitionDigest, type ServiceDefinitionInput } from './definition.js';

export type PublishOutcome =
  | { readonly outcome: 'published'; readonly code: string; readonly version: number }
  | { readonly outcome: 'unchanged'; readonly code: string; readonly version: number };

/**
 * Publishes a validated definition: content equal to the newest version's is a no-op; anything
 * else becomes the next version. A published row is never updated (a trigger refuses it), so a
 * case opened on version n keeps reading version n.
 */
export async function publishDefinition({
  ctx,
  input,
}: {
  ctx: RequestContext<undefined>;
  input: ServiceDefinitionInput;
}): Promise<PublishOutcome> {
  const digest = definitionDigest(input);
  // Two instances starting together race for the same next version: the loser re-reads and
  // finds either its own content (a no-op) or a newer one, and tries once more on top of it.
  for (let attempt = 0; attempt < 3; attempt++) {
    const latest = await findServiceDefinition(ctx.db, input.code, undefined);
    if (latest?.digest === digest) {
      return { outcome: 'unchanged', code: input.code, version: latest.version };
    }
    const version = (latest?.version ?? 0) + 1;
    const published = await withTransaction(ctx, async (ctx) => {
      const row = await insertServiceDefinition(ctx.db, {
        code: input.code,
        version,
        nameZh: input.name.zh,
        nameEn: input.name.en,
        definition: input,
        digest,
        publishedAt: ctx.clock(),
      });
      if (!row) return undefined;
      await recordChange(ctx, {
        aggregate: { type: 'service', id: row.code, version: row.version },
        type: 'service.published',
        data: { code: row.code, version: row.version },
      });
      return row;
    });
    if (published) return { outcome: 'published', code: input.code, version };
  }
  throw new Error(`service ${input.code}: could not take a version after three attempts`);
}
