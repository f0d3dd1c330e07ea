import type { Coordinator } from "./coordinator.ts";
import { SPLITTERS } from "./splitting.ts";
import type { TaskOutcome, TaskSpec } from "./task.ts";
import { checkWorkflow, stepDeps, stepInput } from "./workflow.ts";

/**
 * Runs a splittable task as parts in parallel: the input is cut in proportion to `weights` (one
 * per capable peer: its concurrency, scaled by its learned speed), each part is an ordinary task
 * `<id>.part<i>` placed on its own, and the outputs are merged in order. Fails when any part fails.
 */
export async function runSplit(coordinator: Coordinator, spec: Partial<TaskSpec> & { kind: string; id: string }, weights: readonly number[], now: () => number = Date.now): Promise<TaskOutcome> {
  const splitter = SPLITTERS[spec.kind];
  if (!splitter) throw new TypeError(`kind ${spec.kind} cannot be split (splittable: ${Object.keys(SPLITTERS).join(", ")})`);
  const started = now();
  const parts = splitter.split(spec.input, weights.length > 0 ? weights : [1]);
  const ids = await Promise.all(parts.map((input, i) => coordinator.submit({ ...spec, id: `${spec.id}.part${i}`, input })));
  const outcomes = await Promise.all(ids.map((id) => coordinator.wait(id)));
  const failed = outcomes.find((o) => o.state === "failed");
  if (failed && failed.state === "failed") return { id: spec.id, state: "failed", reason: failed.reason, detail: `part ${failed.id}: ${failed.detail}` };
  const done = outcomes as Array<Extract<TaskOutcome, { state: "done" }>>;
  return {
    id: spec.id,
    state: "done",
    output: splitter.merge(done.map((o) => o.output)),
    worker: done[0]?.worker ?? "",
    workers: [...new Set(done.flatMap((o) => o.workers))],
    durationMs: now() - started,
  };
}

/**
 * Runs a workflow (see `workflow.ts`): each step becomes a task `<id>.<step>` as soon as the steps
 * it depends on are done, so independent steps run in parallel. The result is the output step's
 * outcome; the first failing step fails the workflow.
 */
export async function runWorkflow(coordinator: Coordinator, raw: unknown, input: unknown, id: string, now: () => number = Date.now): Promise<TaskOutcome & { steps?: Record<string, string> }> {
  const { workflow, order } = checkWorkflow(raw);
  const started = now();
  const outputs = new Map<string, unknown>();
  const running = new Map<string, Promise<TaskOutcome>>();
  const states: Record<string, string> = {};
  const run = (stepId: string): Promise<TaskOutcome> => {
    let p = running.get(stepId);
    if (p) return p;
    const step = order.find((s) => s.id === stepId)!;
    p = (async () => {
      const before = await Promise.all(stepDeps(step).map(run));
      const bad = before.find((o) => o.state === "failed");
      if (bad && bad.state === "failed") return { id: `${id}.${step.id}`, state: "failed" as const, reason: bad.reason, detail: `needs ${bad.id}, which failed` };
      const taskId = await coordinator.submit({
        id: `${id}.${step.id}`,
        kind: step.kind,
        input: stepInput(step, input, outputs),
        params: step.params ?? {},
        ...(step.priority !== undefined ? { priority: step.priority } : {}),
        ...(step.quorum !== undefined ? { quorum: step.quorum } : {}),
        ...(step.private !== undefined ? { private: step.private } : {}),
      });
      const outcome = await coordinator.wait(taskId);
      states[step.id] = outcome.state;
      if (outcome.state === "done") outputs.set(step.id, outcome.output);
      return outcome;
    })();
    running.set(stepId, p);
    return p;
  };
  const all = await Promise.all(order.map((s) => run(s.id)));
  const failed = all.find((o) => o.state === "failed");
  if (failed && failed.state === "failed") return { id, state: "failed", reason: failed.reason, detail: `step ${failed.id}: ${failed.detail}`, steps: states };
  const last = workflow.output ?? order[order.length - 1]!.id;
  const done = all.filter((o): o is Extract<TaskOutcome, { state: "done" }> => o.state === "done");
  return { id, state: "done", output: outputs.get(last), worker: done[done.length - 1]?.worker ?? "", workers: [...new Set(done.flatMap((o) => o.workers))], durationMs: now() - started, steps: states };
}
