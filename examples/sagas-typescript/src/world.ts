// The playground's outside world, seen from TypeScript: the same ledger and faults as restate_play.world.
//
// restate-play sets RESTATE_PLAY_LEDGER (a JSON-lines file) for the service process: one line per
// external action, {"ts", "action", "args", "invocation", "pid"}, written with one append so a
// SIGKILL never leaves half a line. Ledger expectations in scenarios read it, whatever the language.
// RESTATE_PLAY_FAULTS maps "point" or "point:key" to N (the first N attempts fail) and
// RESTATE_PLAY_LATENCY to seconds, as in restate_play/world/faults.py; attempts are counted in the
// ledger, so "fail once" still holds after the process was killed.
import { appendFileSync, readFileSync } from "node:fs";

type Args = Record<string, unknown>;

const ledgerPath = process.env.RESTATE_PLAY_LEDGER;

export function record(action: string, args: Args, invocation?: string): void {
  if (!ledgerPath) return; // run outside the playground: no ledger, nothing to record
  const line = { ts: Date.now() / 1000, action, args, invocation: invocation ?? null, pid: process.pid };
  appendFileSync(ledgerPath, JSON.stringify(line) + "\n");
}

function count(action: string, args: Args): number {
  let text = "";
  try {
    text = readFileSync(ledgerPath ?? "", "utf8");
  } catch {
    return 0;
  }
  return text
    .split("\n")
    .filter((raw) => raw.trim())
    .map((raw) => JSON.parse(raw))
    .filter((e) => e.action === action && Object.entries(args).every(([k, v]) => e.args?.[k] === v)).length;
}

function rule(variable: string, point: string, key: string): [string, number] {
  const config = JSON.parse(process.env[variable] || "{}") as Record<string, number>;
  const narrow = `${point}:${key}`;
  return narrow in config ? [narrow, config[narrow]] : [point, config[point] ?? 0];
}

/** Whether this attempt at `point` fails (an integer rule: the first N attempts do). */
export function shouldFail(point: string, key: string): boolean {
  const [name, times] = rule("RESTATE_PLAY_FAULTS", point, key);
  const fail = Number.isInteger(times) && times > 0 ? count("fault.injected", { point: name }) < times : Math.random() < times;
  if (fail) record("fault.injected", { point: name });
  return fail;
}

/** The configured latency of an emulated API, in milliseconds' worth of waiting. */
export async function latency(point: string, key: string): Promise<void> {
  const [, seconds] = rule("RESTATE_PLAY_LATENCY", point, key);
  if (seconds > 0) await new Promise((done) => setTimeout(done, seconds * 1000));
}
