/** What a case's ratio should reach: at least `value` (`min`) or at most (`max`). */
export interface Goal {
  value: number;
  kind: 'min' | 'max';
}

/** The goals of issue 15's table (and of the cases that carry their own), by case name. */
const GOALS: Array<[RegExp, Goal]> = [
  [/^engine-memory$/, { value: 0.5, kind: 'min' }],
  [/^engine-sqlite$/, { value: 2.0, kind: 'min' }],
  [/^engine-redis$/, { value: 1.5, kind: 'min' }],
  [/^engine-postgres$/, { value: 1.0, kind: 'min' }],
  [/^scale-out cpu x\d+$/, { value: 0.9, kind: 'min' }],
  [/^provider-latency-polling$/, { value: 1.1, kind: 'max' }],
  [/^provider-latency-webhooks$/, { value: 1.02, kind: 'max' }],
  [/^client-bundle$/, { value: 1, kind: 'max' }],
  [/^event-streams x[1-9]\d*$/, { value: 0.9, kind: 'min' }],
  [/^status-reads$/, { value: 0.5, kind: 'min' }],
];

/** The goal of the case named `name`, or null when it has none. */
export function goalOf(name: string): Goal | null {
  return GOALS.find(([pattern]) => pattern.test(name))?.[1] ?? null;
}

/** True when `ratio` meets `goal`. */
export function meets(ratio: number, goal: Goal): boolean {
  return goal.kind === 'min' ? ratio >= goal.value : ratio <= goal.value;
}
