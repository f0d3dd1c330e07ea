// Workflow files: structure checks, unknown references and cycles refused with the step named,
// and an order that respects every dependency.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkWorkflow, stepDeps, stepInput, WorkflowError } from "../../../src/tasks/workflow.ts";

test("workflow: the order respects `after` and `$from`, independent steps first", () => {
  const { order } = checkWorkflow({
    steps: [
      { id: "total", kind: "sum", after: ["a", "b"], input: [1, 2] },
      { id: "b", kind: "sha256", input: { $input: true } },
      { id: "a", kind: "echo", input: "x" },
      { id: "c", kind: "echo", input: { $from: "total" } },
    ],
  });
  const ids = order.map((s) => s.id);
  assert.deepEqual(ids, ["b", "a", "total", "c"]);
  const pos = (id: string) => ids.indexOf(id);
  assert.ok(pos("a") < pos("total") && pos("b") < pos("total") && pos("total") < pos("c"));
});

test("workflow: refuses cycles, naming the steps", () => {
  assert.throws(
    () =>
      checkWorkflow({
        steps: [
          { id: "ok", kind: "echo" },
          { id: "a", kind: "echo", after: ["c"] },
          { id: "b", kind: "echo", after: ["a"] },
          { id: "c", kind: "echo", input: { $from: "b" } },
        ],
      }),
    (e: unknown) => e instanceof WorkflowError && e.message === "the steps a, b, c depend on each other in a cycle",
  );
  assert.throws(() => checkWorkflow({ steps: [{ id: "self", kind: "echo", after: ["self"] }] }), /self depend on each other in a cycle/);
});

test("workflow: refuses unknown references and malformed files", () => {
  assert.throws(() => checkWorkflow({ steps: [{ id: "a", kind: "echo", after: ["nope"] }] }), /step a: depends on unknown step nope/);
  assert.throws(() => checkWorkflow({ steps: [{ id: "a", kind: "echo", input: { $from: "ghost" } }] }), /step a: depends on unknown step ghost/);
  assert.throws(() => checkWorkflow({ steps: [{ id: "a", kind: "echo" }], output: "zzz" }), /"output" names unknown step zzz/);
  assert.throws(() => checkWorkflow({ steps: [] }), /non-empty "steps" list/);
  assert.throws(() => checkWorkflow(null), WorkflowError);
  assert.throws(() => checkWorkflow({ steps: [{ kind: "echo" }] }), /steps\[0\]: "id" must be a non-empty string/);
  assert.throws(() => checkWorkflow({ steps: [{ id: "a" }] }), /step a: "kind" must be a string/);
  assert.throws(() => checkWorkflow({ steps: [{ id: "a", kind: "echo" }, { id: "a", kind: "sum" }] }), /step a: the id is used twice/);
});

test("workflow: step dependencies and inputs", () => {
  const step = { id: "s", kind: "echo", after: ["a", "b"], input: { $from: "a" } };
  assert.deepEqual(stepDeps(step), ["a", "b"]);
  const outputs = new Map<string, unknown>([["a", 42]]);
  assert.equal(stepInput(step, "wf-input", outputs), 42);
  assert.equal(stepInput({ id: "t", kind: "echo", input: { $input: true } }, "wf-input", outputs), "wf-input");
  assert.deepEqual(stepInput({ id: "u", kind: "echo", input: [1, 2] }, "wf-input", outputs), [1, 2]);
  assert.equal(stepInput({ id: "v", kind: "echo" }, "wf-input", outputs), null);
});
