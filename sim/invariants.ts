import type { BatchRecord, LedgerEntry } from '../src/core/schemas/records.js';
import type { FinalState, History } from './history.js';

/** A broken invariant: its name, what was seen, and the id to follow in the trace. */
export interface Violation {
  invariant: string;
  message: string;
  subject: string;
}

export interface CheckInput {
  history: History;
  final: FinalState;
  /** Credits per batch task. */
  taskPrice: number;
  /** Credits per text-to-image generation. */
  singlePrice: number;
}

type Check = (input: CheckInput) => Violation[];

const tasksOf = (batches: BatchRecord[]) => batches.flatMap((b) => b.tasks.map((t, index) => ({ batch: b, task: t, index })));

/** Every task ends completed, failed or cancelled (after a last restart with the faults off). */
export function everyTaskEnds({ final }: CheckInput): Violation[] {
  return tasksOf(final.batches)
    .filter(({ task }) => task.status === 'pending' || task.status === 'processing')
    .map(({ task }) => ({ invariant: 'everyTaskEnds', subject: task.taskId, message: `${task.taskId} is still ${task.status}` }));
}

/** A paid run of a task ends once, and a task completes (gets a result) at most once. */
export function taskEndsOnce({ history }: CheckInput): Violation[] {
  const out: Violation[] = [];
  for (const [taskId, ends] of history.ends) {
    const byGeneration = new Map<number, number>();
    for (const end of ends) byGeneration.set(end.generation, (byGeneration.get(end.generation) ?? 0) + 1);
    for (const [generation, count] of byGeneration) {
      if (count > 1) {
        const ops = ends.filter((e) => e.generation === generation).map((e) => `${e.op} by e${e.engine} at #${e.step}`);
        out.push({
          invariant: 'taskEndsOnce',
          subject: taskId,
          message: `${taskId} (paid run ${generation}) ended ${count} times: ${ops.join(', ')}`,
        });
      }
    }
    const completions = ends.filter((e) => e.op === 'complete').length;
    if (completions > 1) out.push({ invariant: 'taskEndsOnce', subject: taskId, message: `${taskId} completed ${completions} times` });
  }
  for (const [taskId, count] of history.completedEvents) {
    if (count > 1)
      out.push({ invariant: 'taskEndsOnce', subject: taskId, message: `task:completed announced ${count} times for ${taskId}` });
  }
  return out;
}

/** A task ends only by the claim that holds it: a run whose lease was taken over writes nothing. */
export function staleClaimNeverApplies({ history }: CheckInput): Violation[] {
  const out: Violation[] = [];
  for (const [taskId, ends] of history.ends) {
    for (const end of ends) {
      if (end.callAttempts !== null && end.callAttempts !== end.taskAttempts) {
        out.push({
          invariant: 'staleClaimNeverApplies',
          subject: taskId,
          message: `${end.op} of ${taskId} by claim ${end.callAttempts} (e${end.engine}, #${end.step}) applied to claim ${end.taskAttempts}`,
        });
      }
    }
  }
  return out;
}

/** A paid run's provider request is submitted once; again only when its id was never saved (the crash window). */
export function providerRequestSubmittedOnce({ history }: CheckInput): Violation[] {
  return history.repaid.map(({ key, step }) => ({
    invariant: 'providerRequestSubmittedOnce',
    subject: key.split('#')[0]!,
    message: `${key} was submitted again at #${step} although request ${history.saved.get(key)} had been saved: ${history.submits.get(key)!.join(', ')}`,
  }));
}

/** Every balance equals the sum of its journal. */
export function balanceEqualsJournal({ final }: CheckInput): Violation[] {
  const out: Violation[] = [];
  for (const [username, entries] of final.journals) {
    const sum = entries.reduce((s, e) => s + e.amount, 0);
    const balance = final.balances.get(username) ?? 0;
    if (sum !== balance)
      out.push({
        invariant: 'balanceEqualsJournal',
        subject: username,
        message: `${username}: balance ${balance}, journal sums to ${sum}`,
      });
  }
  return out;
}

/** No balance is ever below zero: not now, not after any entry of the journal. */
export function balanceNeverNegative({ final }: CheckInput): Violation[] {
  const out: Violation[] = [];
  for (const [username, entries] of final.journals) {
    let running = 0;
    for (const e of entries) {
      running += e.amount;
      if (running < 0 || e.balanceAfter < 0) {
        out.push({
          invariant: 'balanceNeverNegative',
          subject: username,
          message: `${username}: balance ${Math.min(running, e.balanceAfter)} after ${e.kind} ${e.amount} (${e.idempotencyKey})`,
        });
        break;
      }
    }
    if ((final.balances.get(username) ?? 0) < 0)
      out.push({ invariant: 'balanceNeverNegative', subject: username, message: `${username}: balance ${final.balances.get(username)}` });
  }
  return out;
}

/** A refund gives back at most what was paid: once per charge, once per paid run of a task. */
export function refundAtMostOnce({ final, taskPrice }: CheckInput): Violation[] {
  const out: Violation[] = [];
  for (const [username, entries] of final.journals) {
    const byKey = new Map(entries.map((e) => [e.idempotencyKey, e]));
    const refunds = new Map<string, LedgerEntry[]>();
    for (const e of entries) if (e.kind === 'refund' && e.reference) refunds.set(e.reference, [...(refunds.get(e.reference) ?? []), e]);
    for (const [reference, list] of refunds) {
      const total = list.reduce((s, e) => s + e.amount, 0);
      const charge = byKey.get(reference);
      let paid: number;
      let times: number;
      if (charge) {
        paid = -charge.amount;
        times = 1;
      } else {
        // A batch task: its share of the batch charge, plus each retry charged to it.
        const retries = entries.filter((e) => e.kind === 'charge' && e.reference === reference);
        paid = taskPrice + retries.reduce((s, e) => s - e.amount, 0);
        times = 1 + retries.length;
      }
      if (total > paid || list.length > times) {
        out.push({
          invariant: 'refundAtMostOnce',
          subject: reference,
          message: `${username}: ${list.length} refunds of ${total} for ${reference}, which was paid ${paid} (${list.map((e) => e.idempotencyKey).join(', ')})`,
        });
      }
    }
  }
  return out;
}

/** A request repeated with its idempotency key is charged once and makes one batch or one record. */
export function idempotentRequestChargedOnce({ history, final, singlePrice }: CheckInput): Violation[] {
  const out: Violation[] = [];
  for (const tag of history.keyedBatchTags) {
    const batches = final.batches.filter((b) => b.tasks[0]?.prompt.startsWith(`${tag}/`));
    if (batches.length > 1)
      out.push({ invariant: 'idempotentRequestChargedOnce', subject: tag, message: `keyed submit ${tag} made ${batches.length} batches` });
  }
  const byKey = new Map<string, { chargeKeys: string[]; unanswered: number }>();
  const recordIds = new Set(final.records.map((r) => r.recordId));
  for (const s of history.singles.values()) {
    if (!s.key) continue;
    const k = `${s.username}/${s.key}`;
    const seen = byKey.get(k) ?? { chargeKeys: [], unanswered: 0 };
    seen.chargeKeys.push(...s.chargeKeys);
    // Made its record, but its process died before the key remembered the answer.
    if (!s.answered && !s.settled && s.recordIds.some((id) => recordIds.has(id))) seen.unanswered++;
    byKey.set(k, seen);
  }
  for (const [k, { chargeKeys, unanswered }] of byKey) {
    const username = k.split('/')[0]!;
    const journal = final.journals.get(username) ?? [];
    const net = chargeKeys.reduce((sum, key) => {
      const charge = journal.find((e) => e.idempotencyKey === key);
      const refunded = journal.filter((e) => e.kind === 'refund' && e.reference === key).reduce((s, e) => s + e.amount, 0);
      return sum - (charge?.amount ?? 0) - refunded;
    }, 0);
    const records = final.records.filter((r) => r.prompt === k).length;
    const extra = Math.min(unanswered, Math.max(0, records - 1));
    history.idempotencyWindow += extra;
    if (net > singlePrice * (1 + extra) || records > 1 + extra) {
      out.push({
        invariant: 'idempotentRequestChargedOnce',
        subject: k,
        message: `keyed generation ${k}: charged ${net} net over ${chargeKeys.length} charges, ${records} records`,
      });
    }
  }
  return out;
}

/** A single generation's charge ends in its record or in one refund: never both, never neither. */
export function chargeEndsInRecordOrRefund({ history, final }: CheckInput): Violation[] {
  const out: Violation[] = [];
  const recordIds = new Set(final.records.map((r) => r.recordId));
  for (const [actor, s] of history.singles) {
    for (const chargeKey of s.chargeKeys) {
      const journal = final.journals.get(s.username) ?? [];
      const refunded = journal.some((e) => e.kind === 'refund' && e.reference === chargeKey);
      const recorded = s.recordIds.some((id) => recordIds.has(id));
      if (refunded === recorded) {
        out.push({
          invariant: 'chargeEndsInRecordOrRefund',
          subject: chargeKey,
          message: `${actor} (${s.username}${s.key ? `, key ${s.key}` : ''}): charge ${chargeKey} has ${recorded ? 'a record and a refund' : 'neither a record nor a refund'}`,
        });
      }
    }
  }
  return out;
}

/** A task's progress, as its events announce it, never goes down within a paid run. */
export function progressNeverDecreases({ history }: CheckInput): Violation[] {
  return history.progressDrops.map((d) => ({
    invariant: 'progressNeverDecreases',
    subject: d.taskId,
    message: `${d.taskId} progress went ${d.from} → ${d.to} (claim ${d.attempt}, e${d.engine}, #${d.step})`,
  }));
}

/** Every batch's counters and status match its tasks. */
export function batchCountsMatchTasks({ final }: CheckInput): Violation[] {
  const out: Violation[] = [];
  for (const b of final.batches) {
    const count = (s: string) => b.tasks.filter((t) => t.status === s).length;
    const open = count('pending') + count('processing');
    const expect = {
      totalTasks: b.tasks.length,
      completedTasks: count('completed'),
      failedTasks: count('failed'),
      cancelledTasks: count('cancelled'),
    };
    const wrong = Object.entries(expect).filter(([k, v]) => b[k as keyof typeof expect] !== v);
    if (wrong.length)
      out.push({
        invariant: 'batchCountsMatchTasks',
        subject: b.batchId,
        message: `${b.batchId}: ${wrong.map(([k, v]) => `${k} ${b[k as keyof typeof expect]} ≠ ${v}`).join(', ')}`,
      });
    if ((b.status === 'completed') !== (open === 0))
      out.push({ invariant: 'batchCountsMatchTasks', subject: b.batchId, message: `${b.batchId} is ${b.status} with ${open} open tasks` });
  }
  return out;
}

/** The engine throws only its own errors (and the storage's injected faults), never a TypeError and the like. */
export function noUnexpectedErrors({ history }: CheckInput): Violation[] {
  return history.unexpectedErrors.map((message) => ({ invariant: 'noUnexpectedErrors', subject: message.split(':')[0]!, message }));
}

/** Every invariant, checked in this order after each run. */
export const INVARIANTS: Check[] = [
  everyTaskEnds,
  taskEndsOnce,
  staleClaimNeverApplies,
  providerRequestSubmittedOnce,
  balanceEqualsJournal,
  balanceNeverNegative,
  refundAtMostOnce,
  idempotentRequestChargedOnce,
  chargeEndsInRecordOrRefund,
  progressNeverDecreases,
  batchCountsMatchTasks,
  noUnexpectedErrors,
];
