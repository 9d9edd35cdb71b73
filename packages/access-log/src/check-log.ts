import { equalBytes } from '@tongban/merkle-log';
import { type Checkpoint, type LogKeys, verifyCheckpoint } from './checkpoint.js';
import { leafOf } from './entry.js';
import { type AccessLogItem, verifyConsistency, verifyEntry } from './verify.js';

/** What a resident saw the last time they looked. */
export interface PreviousView {
  /** The head they were shown then (null if there was none yet). */
  readonly checkpoint: string | null;
  readonly items: readonly AccessLogItem[];
}

export interface CheckLogInput {
  /** The latest signed head as the log returned it with the items (null before the first one). */
  readonly checkpoint: string | null;
  /** Every item the log lists for the resident now: all pages, not one. */
  readonly items: readonly AccessLogItem[];
  /** Records' key history (`GET /v1/access-log/keys`), or its JWKS for recent heads only. */
  readonly keys: LogKeys;
  readonly previous?: PreviousView;
  /**
   * `GET /v1/access-log/consistency?from=<previous size>&to=<current size>`'s proof; needed
   * when the previous head is older than the current one.
   */
  readonly consistencyProof?: readonly string[];
  /** The `iss` of records' heads; default `tb-records`. */
  readonly issuer?: string;
}

export type FindingKind =
  /** The current head does not verify: no entry can be checked against it. */
  | 'checkpoint_invalid'
  | 'previous_checkpoint_invalid'
  /** The log is smaller than it was: entries were taken out of the tree. */
  | 'log_shrank'
  /** A consistency proof was needed and none was given. */
  | 'consistency_unproven'
  /** The current tree does not extend the one seen before: history was rewritten. */
  | 'consistency_failed'
  | 'tree_size_mismatch'
  | 'proof_missing'
  /** The entry, at its position, is not in the signed tree: it was changed or moved. */
  | 'not_included'
  /** Two entries claim one position. */
  | 'index_reused'
  /** An entry seen before is no longer listed. */
  | 'entry_missing'
  /** An entry seen before is listed with other content. */
  | 'entry_changed'
  /** An entry seen before is listed at another position. */
  | 'entry_moved';

export interface Finding {
  readonly kind: FindingKind;
  readonly entryId?: string;
  readonly leafIndex?: number | null;
  readonly detail: string;
}

export interface LogCheck {
  /** True when nothing was found: every proof verified and nothing seen before changed. */
  readonly ok: boolean;
  readonly checkpoint: Checkpoint | null;
  /** Entries proven to be in the signed tree. */
  readonly included: number;
  /** Entries not sequenced yet (seconds after the read); checked next time. */
  readonly pending: readonly string[];
  readonly findings: readonly Finding[];
}

const sameBytes = (a: AccessLogItem, b: AccessLogItem): boolean => {
  try {
    return equalBytes(leafOf(a.entry), leafOf(b.entry));
  } catch {
    return false;
  }
};

/**
 * The resident's check of their own log, in their browser: the head's signature, every entry's
 * inclusion proof against it, and — given what they saw before — that the new tree extends the
 * old one and that every entry seen before is still listed, unchanged, at the same position.
 * Returns what is wrong, entry by entry, rather than a bare boolean.
 */
export async function checkLog(input: CheckLogInput): Promise<LogCheck> {
  const findings: Finding[] = [];
  const pending: string[] = [];
  let included = 0;
  const options = input.issuer === undefined ? {} : { issuer: input.issuer };

  let checkpoint: Checkpoint | null = null;
  if (input.checkpoint !== null) {
    const verdict = await verifyCheckpoint(input.checkpoint, input.keys, options);
    if (verdict.ok) checkpoint = verdict.checkpoint;
    else
      findings.push({
        kind: 'checkpoint_invalid',
        detail: `${verdict.problem}: ${verdict.detail}`,
      });
  }

  const byIndex = new Map<number, AccessLogItem>();
  for (const item of input.items) {
    const id = item.entry.id;
    if (item.leafIndex !== null) {
      const other = byIndex.get(item.leafIndex);
      if (other && other.entry.id !== id) {
        findings.push({
          kind: 'index_reused',
          entryId: id,
          leafIndex: item.leafIndex,
          detail: `entries ${other.entry.id} and ${id} both claim leaf ${item.leafIndex}`,
        });
      }
      byIndex.set(item.leafIndex, item);
    }
    // A head that does not verify proves nothing (reported once, above).
    if (input.checkpoint !== null && checkpoint === null) continue;
    if (checkpoint === null) {
      // No head yet: every entry is pending, and one that claims a proof claims a phantom tree.
      if (item.inclusionProof === null) pending.push(id);
      else {
        findings.push({
          kind: 'tree_size_mismatch',
          entryId: id,
          leafIndex: item.leafIndex,
          detail: 'a proof came without a checkpoint',
        });
      }
      continue;
    }
    const verdict = await verifyEntry(item, checkpoint);
    if (verdict.status === 'included') included += 1;
    else if (verdict.status === 'pending') pending.push(id);
    else {
      findings.push({
        kind: verdict.problem,
        entryId: id,
        leafIndex: item.leafIndex,
        detail: verdict.detail,
      });
    }
  }

  if (input.previous) await compareWithPrevious(input, input.previous, checkpoint, findings);

  return { ok: findings.length === 0, checkpoint, included, pending, findings };
}

async function compareWithPrevious(
  input: CheckLogInput,
  previous: PreviousView,
  checkpoint: Checkpoint | null,
  findings: Finding[],
): Promise<void> {
  const options = input.issuer === undefined ? {} : { issuer: input.issuer };
  if (previous.checkpoint !== null) {
    const verdict = await verifyCheckpoint(previous.checkpoint, input.keys, options);
    if (!verdict.ok) {
      findings.push({
        kind: 'previous_checkpoint_invalid',
        detail: `${verdict.problem}: ${verdict.detail}`,
      });
    } else if (input.checkpoint === null) {
      findings.push({
        kind: 'log_shrank',
        detail: `a head of ${verdict.checkpoint.treeSize} entries was shown before; now there is none`,
      });
    } else if (checkpoint !== null) {
      const before = verdict.checkpoint;
      if (before.treeSize > checkpoint.treeSize) {
        findings.push({
          kind: 'log_shrank',
          detail: `the log had ${before.treeSize} entries; its head now signs ${checkpoint.treeSize}`,
        });
      } else if (before.treeSize < checkpoint.treeSize && input.consistencyProof === undefined) {
        findings.push({
          kind: 'consistency_unproven',
          detail: `no consistency proof from size ${before.treeSize} to ${checkpoint.treeSize} was given`,
        });
      } else if (!(await verifyConsistency(before, checkpoint, input.consistencyProof ?? []))) {
        findings.push({
          kind: 'consistency_failed',
          detail: `the tree of ${checkpoint.treeSize} entries does not extend the tree of ${before.treeSize} seen before`,
        });
      }
    }
  }

  const now = new Map(input.items.map((item) => [item.entry.id, item]));
  for (const seen of previous.items) {
    const id = seen.entry.id;
    const current = now.get(id);
    if (!current) {
      findings.push({
        kind: 'entry_missing',
        entryId: id,
        leafIndex: seen.leafIndex,
        detail:
          seen.leafIndex === null
            ? `entry ${id} (${seen.entry.occurredAt}) was listed before and is gone`
            : `entry ${id} at leaf ${seen.leafIndex} (${seen.entry.occurredAt}) was listed before and is gone`,
      });
      continue;
    }
    if (!sameBytes(seen, current)) {
      findings.push({
        kind: 'entry_changed',
        entryId: id,
        leafIndex: current.leafIndex,
        detail: `entry ${id} reads differently from when it was listed before`,
      });
    }
    if (seen.leafIndex !== null && current.leafIndex !== seen.leafIndex) {
      findings.push({
        kind: 'entry_moved',
        entryId: id,
        leafIndex: current.leafIndex,
        detail: `entry ${id} was at leaf ${seen.leafIndex}, now at ${String(current.leafIndex)}`,
      });
    }
  }
}
