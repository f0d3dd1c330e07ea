import { ControlError } from "../control/control-protocol.ts";
import type { ControlHandler } from "../control/control-server.ts";
import type { TaskService } from "../tasks/task-service.ts";
import type { TaskSpec } from "../tasks/task.ts";

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
