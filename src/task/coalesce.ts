/**
 * Coalesced reads: the same kind of probe asked for by several tasks of one host at the same moment
 * runs as ONE remote command. The engine starts the plans of a run of tasks together (host-run.ts,
 * prefetch), so a no-op play's three `service` tasks ask systemd once (`systemctl show a b c`), its
 * apt tasks run dpkg-query once, and its MySQL tasks start one client. On a busy host each command
 * spared is a process start spared (systemctl, mysql).
 *
 * Requests queue per host connection, become setting and kind, and go out on the next turn of the
 * event loop. A kind's `runMany` may give up on the whole batch, or on single items of it: an
 * item not answered runs alone, so errors stay exactly what they would be without coalescing.
 */
import type { Exec } from '../transport/types.ts';

export type { Exec };

export interface Coalescable<Item, Result> {
  /** Unique per kind: requests of the same kind (and host, and become) are merged. */
  readonly kind: string;
  /** One request on its own. */
  runOne(exec: Exec, item: Item): Promise<Result>;
  /**
   * Several requests as one command; results in the order of `items`. Returns undefined (or
   * throws) when the batch cannot stand for the items, which then run alone. An undefined entry
   * leaves that one item to run alone (its part of the batch failed: a statement a mysql client
   * refused), while the others keep their answers.
   */
  runMany(exec: Exec, items: Item[]): Promise<Array<Result | undefined> | undefined>;
}

interface Waiting {
  item: unknown;
  exec: Exec;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

const queues = new WeakMap<object, Map<string, Waiting[]>>();

/**
 * Queues `item` to run with the other requests of its kind made on this host before the next
 * event-loop turn. `scope` identifies the host's connection; `exec` runs commands as the task would.
 */
export function coalesce<Item, Result>(scope: object, become: boolean, kind: Coalescable<Item, Result>, exec: Exec, item: Item): Promise<Result> {
  let byKind = queues.get(scope);
  if (!byKind) queues.set(scope, (byKind = new Map()));
  const key = `${kind.kind}\0${become}`;
  let waiting = byKind.get(key);
  if (!waiting) {
    byKind.set(key, (waiting = []));
    const queue = waiting;
    setImmediate(() => {
      byKind.delete(key);
      void flush(kind, queue);
    });
  }
  return new Promise<Result>((resolve, reject) => waiting.push({ item, exec, resolve: resolve as (value: unknown) => void, reject }));
}

async function flush<Item, Result>(kind: Coalescable<Item, Result>, waiting: Waiting[]): Promise<void> {
  const alone = (w: Waiting) => kind.runOne(w.exec, w.item as Item).then(w.resolve, w.reject);
  if (waiting.length === 1) {
    await alone(waiting[0]);
    return;
  }
  let results: Array<Result | undefined> | undefined;
  try {
    results = await kind.runMany(waiting[0].exec, waiting.map((w) => w.item as Item));
  } catch {
    results = undefined;
  }
  if (!results || results.length !== waiting.length) {
    // Each on its own (queued in order): what each would have done without coalescing.
    await Promise.all(waiting.map(alone));
    return;
  }
  // The ones the batch could not answer run alone, together (one more round trip at most), so
  // each error is its own.
  const unanswered: Waiting[] = [];
  waiting.forEach((w, i) => {
    const result = results[i];
    if (result === undefined) unanswered.push(w);
    else w.resolve(result);
  });
  await Promise.all(unanswered.map(alone));
}
