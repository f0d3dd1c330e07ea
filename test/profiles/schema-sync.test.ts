// profiles/schema.json and the hand-written validator must state the same rules: every required
// field is checked, every bound is enforced, the enums agree, unknown fields are refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { selectRuntime } from "../../src/adapters/select-runtime.ts";
import { EXECUTION_PROVIDERS, PROFILE_ROLES } from "../../src/profiles/profile.ts";
import { PROFILE_FIELDS, validateProfile } from "../../src/profiles/validate-profile.ts";
import { PROFILES_DIR, changed, refused } from "./profile-fixtures.ts";

type Schema = Record<string, any>;
const { files } = await selectRuntime();
const schema: Schema = JSON.parse(new TextDecoder().decode(await files.readFile(`${PROFILES_DIR}/schema.json`)));

/** Every field the schema describes, as [path, its schema], parents before children. */
function fields(node: Schema, path = ""): [string, Schema][] {
  const out: [string, Schema][] = [];
  for (const [key, sub] of Object.entries<Schema>(node.properties ?? {})) {
    const p = path === "" ? key : `${path}.${key}`;
    out.push([p, sub], ...fields(sub, p));
  }
  return out;
}
/** The objects in the schema that have properties, keyed by path. */
const objects = new Map<string, Schema>([["", schema], ...fields(schema).filter(([, s]) => s.properties)]);

/** Sets `path` in a copy of the good profile. */
const withValue = (path: string, value: unknown) =>
  changed((p) => {
    const keys = path.split(".");
    let o = p;
    for (const k of keys.slice(0, -1)) o = o[k];
    o[keys.at(-1)!] = value;
  });
const without = (path: string) =>
  changed((p) => {
    const keys = path.split(".");
    let o = p;
    for (const k of keys.slice(0, -1)) o = o[k];
    delete o[keys.at(-1)!];
  });

test("the schema is JSON Schema 2020-12 and documents every field", () => {
  assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  for (const [path, sub] of fields(schema)) assert.ok(typeof sub.description === "string" && sub.description.length > 10, `${path} has no description`);
});

test("every field in a required list of schema.json is checked: leaving it out is refused, naming it", () => {
  let checked = 0;
  for (const [path, node] of objects) {
    for (const key of node.required ?? []) {
      const field = path === "" ? key : `${path}.${key}`;
      refused(without(field), field, /required field is missing/);
      checked++;
    }
  }
  assert.equal(checked, 11 + 3 + 2 + 2 + 2);
});

test("the validator's field lists are the schema's required lists and properties", () => {
  assert.deepEqual([...objects.keys()].sort(), Object.keys(PROFILE_FIELDS).sort());
  for (const [path, node] of objects) {
    assert.deepEqual(node.required, PROFILE_FIELDS[path], `required of ${path || "the top level"}`);
    const props = Object.keys(node.properties).filter((k) => k !== "$schema");
    assert.deepEqual(props.sort(), [...PROFILE_FIELDS[path]!].sort(), `properties of ${path || "the top level"}`);
  }
});

test("every object in the schema refuses unknown fields, and so does the validator", () => {
  for (const [path, node] of objects) {
    assert.equal(node.additionalProperties, false, path);
    const field = path === "" ? "extra" : `${path}.extra`;
    refused(withValue(field, 1), field, /unknown field/);
  }
});

test("the enums in the schema are the validator's", () => {
  assert.deepEqual(schema.properties.inference.properties.executionProviders.items.enum, [...EXECUTION_PROVIDERS]);
  assert.deepEqual(schema.properties.roles.items.enum, [...PROFILE_ROLES]);
});

test("every numeric bound in the schema is enforced, and integers must be whole", () => {
  let bounds = 0;
  for (const [path, sub] of fields(schema)) {
    if (sub.type !== "integer" && sub.type !== "number") continue;
    if (sub.maximum !== undefined) refused(withValue(path, sub.maximum + 1), path), bounds++;
    if (sub.minimum !== undefined) refused(withValue(path, sub.minimum - 1), path), bounds++;
    if (sub.exclusiveMinimum !== undefined) refused(withValue(path, sub.exclusiveMinimum), path), bounds++;
    if (sub.type === "integer") refused(withValue(path, sub.minimum + 0.5), path, /integer/);
    refused(withValue(path, "7"), path);
  }
  assert.equal(bounds, 24); // 12 numeric fields, two bounds each
});

test("every string and list field refuses a value of another type", () => {
  for (const [path, sub] of fields(schema)) {
    if (sub.type === "string" || sub.type === "array") refused(withValue(path, 5), path);
    if (sub.type === "object" || (Array.isArray(sub.type) && sub.type.includes("object"))) refused(withValue(path, "x"), path);
  }
});

test("the schema's name rule matches the validator's", () => {
  const pattern = new RegExp(schema.properties.name.pattern);
  for (const name of ["pi4", "my-board-2", "a", "Pi4", "a b", "x".repeat(33), ""]) {
    const ok = pattern.test(name);
    if (ok) assert.equal(validateProfile(withValue("name", name)).name, name);
    else refused(withValue("name", name), "name");
  }
  assert.equal(schema.properties.name.not.const, "auto");
});

test("battery may be null, as the schema's type says", () => {
  assert.deepEqual(schema.properties.battery.type, ["object", "null"]);
  assert.equal(validateProfile(withValue("battery", null)).battery, null);
});
