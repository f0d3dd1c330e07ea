import { ControlError } from "../control/control-protocol.ts";
import { toHex } from "../core/bytes.ts";
import { webRandom } from "../runtime/runtime.ts";
import type { ControlHandler } from "../control/control-server.ts";
import type { TaskService } from "../tasks/task-service.ts";
import type { TaskSpec } from "../tasks/task.ts";
import { runSplit, runWorkflow } from "../tasks/composite.ts";
import { WorkflowError } from "../tasks/workflow.ts";

/**
 * Control-socket commands for tasks: `submit` ({spec, wait}) → {id} or the outcome; `tasks` → the
 * list; `task` ({id}) → one task; `result` ({id}) → waits for and returns its outcome (each call
 * returns the same outcome: results are deduplicated by task ID); `explain` ({id}) → placement
 * decisions with every candidate's score and why it lost.
 */
export function taskHandlers(tasks: () => TaskService): Record<string, ControlHandler> {
  const id = (args: Record<string, unknown>) => {
    if (typeof args.id !== "string") throw new ControlError("bad_request", "a task id is needed");
    return args.id;
  };
  return {
    async submit(args) {
      const spec = args.spec as Partial<TaskSpec> & { kind: string };
      if (typeof spec !== "object" || spec === null) throw new ControlError("bad_request", "submit needs a spec");
      if (args.workflow !== undefined || args.split) {
        // Composite runs answer when finished: their parts are ordinary tasks, listed by agent tasks.
        const id = spec.id ?? `${args.workflow !== undefined ? "wf" : "split"}-${toHex(webRandom(6))}`;
        try {
          return args.workflow !== undefined
            ? await runWorkflow(tasks().coordinator, args.workflow, spec.input ?? null, id)
            : await runSplit(tasks().coordinator, { ...spec, id }, tasks().splitWeights(spec.kind));
        } catch (error) {
          if (error instanceof WorkflowError || error instanceof TypeError || error instanceof RangeError) throw new ControlError("bad_task", error.message);
          throw error;
        }
      }
      let taskId: string;
      try {
        taskId = await tasks().coordinator.submit(spec);
      } catch (error) {
        throw new ControlError("bad_task", (error as Error).message);
      }
      return args.wait ? tasks().coordinator.wait(taskId) : { id: taskId };
    },
    tasks: () => tasks().coordinator.list(),
    task(args) {
      const view = tasks().coordinator.view(id(args));
      if (!view) throw new ControlError("unknown_task", `no task ${String(args.id)}`);
      return view;
    },
    async result(args) {
      try {
        return await tasks().coordinator.wait(id(args));
      } catch (error) {
        throw new ControlError("unknown_task", (error as Error).message);
      }
    },
    explain(args) {
      const placements = tasks().coordinator.explain(id(args));
      if (!placements) throw new ControlError("unknown_task", `no task ${String(args.id)} (explanations are kept while the agent runs)`);
      return placements;
    },
  };
}
