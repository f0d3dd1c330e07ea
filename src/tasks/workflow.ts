/** One step of a workflow file. */
export interface WorkflowStep {
  /** Unique within the workflow. */
  id: string;
  kind: string;
  /** Steps that must finish first; their outputs can be used as this step's input. */
  after?: string[];
  /**
   * The step's input: a literal value, `{"$input": true}` for the workflow's input, or
   * `{"$from": "<step id>"}` for that step's output.
   */
  input?: unknown;
  params?: Record<string, unknown>;
  priority?: number;
  quorum?: number;
  private?: boolean;
}

/** A workflow: a small dependency graph of task steps, read from a JSON file. */
export interface Workflow {
  name?: string;
  steps: WorkflowStep[];
  /** The step whose output is the workflow's result (default: the last step). */
  output?: string;
}

/** A workflow file was refused; the message names the step and the problem. */
export class WorkflowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkflowError";
  }
}

/**
 * Checks a parsed workflow: unique step IDs, known `after` and `$from` references, no cycles.
 * Returns the steps in an order that respects the dependencies (Kahn's algorithm).
 */
export function checkWorkflow(raw: unknown): { workflow: Workflow; order: WorkflowStep[] } {
  const wf = raw as Workflow;
  if (typeof wf !== "object" || wf === null || !Array.isArray(wf.steps) || wf.steps.length === 0) throw new WorkflowError("a workflow needs a non-empty \"steps\" list");
  const byId = new Map<string, WorkflowStep>();
  for (const [i, step] of wf.steps.entries()) {
    if (typeof step?.id !== "string" || step.id === "") throw new WorkflowError(`steps[${i}]: "id" must be a non-empty string`);
    if (typeof step.kind !== "string") throw new WorkflowError(`step ${step.id}: "kind" must be a string`);
    if (byId.has(step.id)) throw new WorkflowError(`step ${step.id}: the id is used twice`);
    byId.set(step.id, step);
  }
  const deps = new Map<string, Set<string>>();
  for (const step of wf.steps) {
    const d = new Set(step.after ?? []);
    const from = (step.input as { $from?: unknown } | undefined)?.$from;
    if (typeof from === "string") d.add(from);
    for (const dep of d) if (!byId.has(dep)) throw new WorkflowError(`step ${step.id}: depends on unknown step ${dep}`);
    deps.set(step.id, d);
  }
  const order: WorkflowStep[] = [];
  const remaining = new Map([...deps].map(([k, v]) => [k, new Set(v)]));
  while (remaining.size > 0) {
    const ready = [...remaining].filter(([, d]) => d.size === 0).map(([k]) => k);
    if (ready.length === 0) throw new WorkflowError(`the steps ${[...remaining.keys()].join(", ")} depend on each other in a cycle`);
    for (const id of ready) {
      order.push(byId.get(id)!);
      remaining.delete(id);
      for (const d of remaining.values()) d.delete(id);
    }
  }
  if (wf.output !== undefined && !byId.has(wf.output)) throw new WorkflowError(`"output" names unknown step ${wf.output}`);
  return { workflow: wf, order };
}

/** The dependencies of `step` (from `after` and `$from`). */
export function stepDeps(step: WorkflowStep): string[] {
  const from = (step.input as { $from?: unknown } | undefined)?.$from;
  return [...new Set([...(step.after ?? []), ...(typeof from === "string" ? [from] : [])])];
}

/** The input of `step` given the workflow input and finished steps' outputs. */
export function stepInput(step: WorkflowStep, workflowInput: unknown, outputs: ReadonlyMap<string, unknown>): unknown {
  const input = step.input as { $input?: unknown; $from?: unknown } | undefined;
  if (input && typeof input === "object" && input.$input === true) return workflowInput;
  if (input && typeof input === "object" && typeof input.$from === "string") return outputs.get(input.$from);
  return input ?? null;
}
