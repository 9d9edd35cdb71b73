import type { Db } from '@tongban/db';
import type { GaugeDefinition } from '@tongban/service-kit';
import { countUnsequenced, latestCheckpoint } from '../../db/queries/access-log.js';

/**
 * What an operator watches: entries waiting for a leaf (the sequencer keeps this near zero), and
 * how old the latest signed head is. Both high at once means residents wait for their proofs.
 */
export function accessLogGauges(db: Db, clock: () => Date): GaugeDefinition[] {
  return [
    {
      name: 'tongban_access_log_unsequenced_entries',
      help: 'Access-log entries written and not yet given a leaf in the Merkle tree.',
      collect: () => countUnsequenced(db),
    },
    {
      name: 'tongban_access_log_checkpoint_age_seconds',
      help: 'Age of the latest signed head of the access log (0 before the first).',
      collect: async () => {
        const head = await latestCheckpoint(db);
        if (!head) return 0;
        return Math.max(0, (clock().getTime() - head.createdAt.getTime()) / 1000);
      },
    },
  ];
}
